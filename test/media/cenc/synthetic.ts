/** Hand-built fragments for unit tests: moof{mfhd, traf{tfhd, tfdt, trun…}} + mdat. */
import { Writer } from '../../../src/media/cenc/bytes.js';
import { encodeBoxes, fullBody, makeBox } from '../../../src/media/cenc/boxes.js';

export interface FragmentSpec {
  samples: Uint8Array[];
  /** Split the samples over two truns; the second has no data_offset and continues the first. */
  twoRuns?: boolean;
  /** Write mdat with a 64-bit size. */
  largeMdat?: boolean;
}

export function buildFragment({ samples, twoRuns = false, largeMdat = false }: FragmentSpec): Uint8Array {
  const runs = twoRuns ? [samples.slice(0, 1), samples.slice(1)] : [samples];
  const trun = (run: Uint8Array[], dataOffset: number | undefined): Uint8Array => {
    const w = new Writer().u32(run.length);
    if (dataOffset !== undefined) w.u32(dataOffset);
    for (const s of run) w.u32(s.length);
    return fullBody(0, 0x200 | (dataOffset === undefined ? 0 : 0x1), w.finish());
  };
  const build = (dataOffset: number): Uint8Array => {
    const moof = makeBox('moof', new Uint8Array(0), [
      makeBox('mfhd', fullBody(0, 0, new Writer().u32(1).finish())),
      makeBox('traf', new Uint8Array(0), [
        makeBox('tfhd', fullBody(0, 0x20000, new Writer().u32(1).finish())),
        makeBox('tfdt', fullBody(1, 0, new Writer().u64(0).finish())),
        ...runs.map((run, i) => makeBox('trun', trun(run, i === 0 ? dataOffset : undefined))),
      ]),
    ]);
    const payload = new Writer();
    for (const s of samples) payload.bytes(s);
    const mdat = { ...makeBox('mdat', payload.finish()), headerSize: largeMdat ? 16 : 8 };
    return encodeBoxes([moof, mdat]);
  };
  const firstTry = build(0); // data_offset has a fixed width, so the moof size is known now
  const moofSize = new DataView(firstTry.buffer).getUint32(0);
  return build(moofSize + (largeMdat ? 16 : 8));
}
