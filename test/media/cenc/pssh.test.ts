import { describe, expect, it } from 'vitest';
import { CLEARKEY_SYSTEM_ID, COMMON_SYSTEM_ID, buildPssh, clearKeyPssh, commonPssh, uuidBytes } from '../../../src/media/cenc/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const kid1 = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const kid2 = Buffer.from('fedcba9876543210fedcba9876543210', 'hex');

describe('pssh', () => {
  it('builds the W3C common-system example box (eme-initdata-cenc §4, two KIDs)', () => {
    expect(hex(commonPssh([kid1, kid2]))).toBe(
      '00000044' + '70737368' + '01000000' + '1077efecc0b24d02ace33c1e52e2fb4b' + '00000002' + hex(kid1) + hex(kid2) + '00000000',
    );
  });

  it('builds a Clear Key (e2719d58-…) version-1 box with the KID list and no data', () => {
    expect(hex(clearKeyPssh([kid1]))).toBe('00000034' + '70737368' + '01000000' + 'e2719d58a985b3c9781ab030af78d30e' + '00000001' + hex(kid1) + '00000000');
  });

  it('builds version-0 boxes with system data', () => {
    const data = Buffer.from('{"kids":["ASNFZ4mrze8BI0VniavN7w"]}');
    const box = buildPssh({ systemId: CLEARKEY_SYSTEM_ID, data });
    expect(box.length).toBe(32 + data.length);
    expect(hex(box.subarray(8, 12))).toBe('00000000');
    expect(Buffer.from(box.subarray(32)).toString()).toBe(data.toString());
  });

  it('parses UUIDs in text order and refuses bad input', () => {
    expect(hex(COMMON_SYSTEM_ID)).toBe('1077efecc0b24d02ace33c1e52e2fb4b');
    expect(uuidBytes('E2719D58-A985-B3C9-781A-B030AF78D30E')).toEqual(CLEARKEY_SYSTEM_ID);
    expect(() => uuidBytes('not-a-uuid')).toThrow(/not a UUID/);
    expect(() => commonPssh([kid1.subarray(0, 15)])).toThrow(/KID must be 16 bytes/);
  });
});
