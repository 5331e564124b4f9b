import { describe, expect, it } from 'vitest';
import { rewriteDashMpd, type DashUriKind } from '../../../src/core/manifest/dash.js';
import { withQueryToken } from '../../../src/core/manifest/uri.js';

function tagged(xml: string): { out: string; calls: [string, DashUriKind][] } {
  const calls: [string, DashUriKind][] = [];
  const out = rewriteDashMpd(xml, (uri, kind) => {
    calls.push([uri, kind]);
    return `${uri}~${kind}`;
  });
  return { out, calls };
}

const MPD = `<?xml version="1.0" encoding="UTF-8"?>
<!-- packaged by Tollgate; <BaseURL>in-a-comment/</BaseURL> -->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013"
     xmlns:dashif="https://dashif.org/CPS" xmlns:clearkey="http://dashif.org/guidelines/clearKey"
     type="static" mediaPresentationDuration="PT10S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <BaseURL>https://cdn.example.com/movie1/dash/</BaseURL>
  <Period id="p0">
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="10000000-1000-1000-1000-100000000001"/>
      <ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0">
        <clearkey:Laurl Lic_type="EME-1.0">https://license.example.com/v1/license/clearkey?s=1&amp;t=2</clearkey:Laurl>
        <dashif:laurl>https://license.example.com/other</dashif:laurl>
      </ContentProtection>
      <SegmentTemplate timescale="90000" initialization="$RepresentationID$/init.mp4" media='$RepresentationID$/seg_$Number%05d$.m4s' startNumber="1" duration="540000"/>
      <Representation id="720p" bandwidth="2500000" width="1280" height="720" codecs="avc1.64001f">
        <BaseURL>
          720p-base/
        </BaseURL>
      </Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="aac" bandwidth="128000">
        <BaseURL>data:application/octet-stream;base64,AAAA</BaseURL>
        <SegmentList duration="6">
          <Initialization sourceURL="audio/init.mp4" range="0-799"/>
          <RepresentationIndex sourceURL="audio/index.sidx"/>
          <SegmentURL media="audio/seg-1.m4s" mediaRange="800-1999"/>
          <SegmentURL media="audio/seg-2.m4s" index="audio/seg-2.sidx"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
  <![CDATA[ <BaseURL>in-cdata/</BaseURL> ]]>
</MPD>
`;

describe('rewriteDashMpd', () => {
  it('maps every URL with its kind and keeps every other byte', () => {
    const { out, calls } = tagged(MPD);
    expect(calls).toEqual([
      ['https://cdn.example.com/movie1/dash/', 'base'],
      ['https://license.example.com/v1/license/clearkey?s=1&t=2', 'license'],
      ['https://license.example.com/other', 'license'],
      ['$RepresentationID$/init.mp4', 'init'],
      ['$RepresentationID$/seg_$Number%05d$.m4s', 'segment'],
      ['720p-base/', 'base'],
      ['audio/init.mp4', 'init'],
      ['audio/index.sidx', 'index'],
      ['audio/seg-1.m4s', 'segment'],
      ['audio/seg-2.m4s', 'segment'],
      ['audio/seg-2.sidx', 'index'],
    ]);
    expect(out).toContain('<!-- packaged by Tollgate; <BaseURL>in-a-comment/</BaseURL> -->');
    expect(out).toContain('<![CDATA[ <BaseURL>in-cdata/</BaseURL> ]]>');
    expect(out).toContain('<BaseURL>data:application/octet-stream;base64,AAAA</BaseURL>');
    expect(out).toContain("media='$RepresentationID$/seg_$Number%05d$.m4s~segment'");
    expect(out).toContain('<BaseURL>\n          720p-base/~base\n        </BaseURL>');
    expect(out).toContain('clearkey?s=1&amp;t=2~license</clearkey:Laurl>');
    expect(out.replace(/~(base|segment|init|index|license|other)/g, '')).toBe(MPD);
  });

  it('is the identity under the identity mapper, whatever the spelling', () => {
    expect(rewriteDashMpd(MPD, (u) => u)).toBe(MPD);
    const odd = `<MPD><BaseURL>a&#x2F;b&#47;c&amp;d</BaseURL><SegmentTemplate media = "x&quot;y" /></MPD>`;
    expect(rewriteDashMpd(odd, (u) => u)).toBe(odd);
  });

  it('adds query tokens in query mode, keeping template identifiers', () => {
    const out = rewriteDashMpd(MPD, (uri, kind) => (kind === 'base' ? uri : withQueryToken(uri, 'tgp1.k1.AA.BB')));
    expect(out).toContain("media='$RepresentationID$/seg_$Number%05d$.m4s?tg=tgp1.k1.AA.BB'");
    expect(out).toContain('initialization="$RepresentationID$/init.mp4?tg=tgp1.k1.AA.BB"');
    expect(out).toContain('clearkey?s=1&amp;t=2&amp;tg=tgp1.k1.AA.BB</clearkey:Laurl>');
    expect(out).toContain('<BaseURL>https://cdn.example.com/movie1/dash/</BaseURL>');
  });

  it('decodes entities for the mapper and escapes its result', () => {
    const xml = `<MPD><SegmentTemplate media="a&amp;b" initialization='i"n&apos;it'/><BaseURL>x&lt;y</BaseURL></MPD>`;
    const { out, calls } = tagged(xml);
    expect(calls).toEqual([
      ['a&b', 'segment'],
      ['i"n\'it', 'init'],
      ['x<y', 'base'],
    ]);
    expect(out).toBe(`<MPD><SegmentTemplate media="a&amp;b~segment" initialization='i"n&apos;it~init'/><BaseURL>x&lt;y~base</BaseURL></MPD>`);
    const hostile = rewriteDashMpd(xml, () => `"/><Evil a='</BaseURL>`);
    expect(hostile).not.toContain('<Evil');
    expect(hostile).toContain(`media="&quot;/&gt;&lt;Evil a='&lt;/BaseURL&gt;"`);
  });

  it('maps prefixed elements, Location, and leaves unknown or nested content alone', () => {
    const xml = [
      '<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011">',
      '<mpd:Location>https://origin/movie1/manifest.mpd</mpd:Location>',
      '<mpd:BaseURL serviceLocation="a">b/</mpd:BaseURL>',
      '<BaseURL><![CDATA[cdata/]]></BaseURL>',
      '<BaseURL/>',
      '<BaseURL></BaseURL>',
      '<Other media="x.m4s" sourceURL="y">z</Other>',
      '<SegmentTemplate xlink:href="remote.xml"/>',
      '</mpd:MPD>',
    ].join('\n');
    expect(tagged(xml).calls).toEqual([
      ['https://origin/movie1/manifest.mpd', 'other'],
      ['b/', 'base'],
    ]);
  });

  it('stops at malformed markup and copies the rest', () => {
    const xml = '<MPD><BaseURL>a/</BaseURL><SegmentTemplate media="x.m4s><BaseURL>b/</BaseURL></MPD>';
    const { out, calls } = tagged(xml);
    expect(calls).toEqual([['a/', 'base']]);
    expect(out).toBe(xml.replace('a/<', 'a/~base<'));
    for (const text of ['', '<', '<>', '<!--', '<![CDATA[', '<?xml', '<!DOCTYPE x [ <!ENTITY e "v"> ]>', '</', 'no markup', '<a b=c>']) {
      expect(rewriteDashMpd(text, (u) => `${u}!`)).toBe(text);
    }
  });

  it('skips a doctype with an internal subset', () => {
    const xml = '<!DOCTYPE MPD [ <!ENTITY base "x"> ]><MPD><BaseURL>a/</BaseURL></MPD>';
    expect(tagged(xml).calls).toEqual([['a/', 'base']]);
  });
});
