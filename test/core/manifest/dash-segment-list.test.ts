import { describe, expect, it } from 'vitest';
import { expandNumber, segmentMediaTemplates, segmentTemplatesToLists } from '../../../src/core/manifest/dash-segment-list.js';

const template = (attributes: string, timeline = '<S t="0" d="4" r="2"/><S d="2"/>') =>
  `<Representation id="v">\n  <SegmentTemplate${attributes}>\n    <SegmentTimeline>\n      ${timeline}\n    </SegmentTimeline>\n  </SegmentTemplate>\n</Representation>`;
const TOLLGATE = ' timescale="90000" presentationTimeOffset="0" startNumber="3" initialization="v/init-0.m4s" media="v/seg-$Number%05d$.m4s"';
const named = (template: string) => (n: number) => `${template}#${n}`;

describe('DASH SegmentTemplate to a per-session SegmentList', () => {
  it('numbers the segments as the template would (startNumber + position in the expanded timeline) and keeps everything else', () => {
    const numbers: number[] = [];
    const out = segmentTemplatesToLists(template(TOLLGATE), (media) => {
      expect(media).toBe('v/seg-$Number%05d$.m4s');
      return (n) => {
        numbers.push(n);
        return `v/v/name-${n}.m4s`;
      };
    });
    expect(numbers).toEqual([3, 4, 5, 6]);
    expect(out).toBe(
      `<Representation id="v">\n  <SegmentList timescale="90000" presentationTimeOffset="0" startNumber="3">` +
        `<Initialization sourceURL="v/init-0.m4s"/><SegmentTimeline><S t="0" d="4" r="2"/><S d="2"/></SegmentTimeline>` +
        `<SegmentURL media="v/v/name-3.m4s"/><SegmentURL media="v/v/name-4.m4s"/><SegmentURL media="v/v/name-5.m4s"/><SegmentURL media="v/v/name-6.m4s"/>` +
        `</SegmentList>\n</Representation>`,
    );
  });

  it('starts at 1 without startNumber, and escapes the URLs it is given', () => {
    const out = segmentTemplatesToLists(template(' media="a&amp;b/$Number$.m4s"', '<S d="1"/>'), () => (n) => `x?n=${n}&q="1"`);
    expect(out).toContain('<SegmentURL media="x?n=1&amp;q=&quot;1&quot;"/>');
    expect(out).not.toContain('<Initialization');
  });

  it('leaves alone what it does not fully understand, and what the caller declines', () => {
    const kept = [
      template(' media="v/$Time$.m4s"'),
      template(' initialization="v/init.m4s"'),
      template(TOLLGATE, '<S d="4" r="-1"/>'),
      template(TOLLGATE, '<S d="4" r="x"/>'),
      template(TOLLGATE, ''),
      template(`${TOLLGATE} index="v/index.sidx"`),
      template(`${TOLLGATE} bitstreamSwitching="v/bs.m4s"`),
      template(' media="v/$Number$.m4s" initialization="$RepresentationID$/init.m4s"'),
      template(" media='v/$Number$.m4s'"),
      template(' media="v/$Number$.m4s" note="a>b"'),
      template(' media="v/&custom;$Number$.m4s"'),
      `<SegmentTemplate${TOLLGATE}/>`,
      `<SegmentTemplate${TOLLGATE} duration="4"/>`,
    ];
    for (const xml of kept) expect(segmentTemplatesToLists(xml, named), xml).toBe(xml);
    expect(segmentTemplatesToLists(template(TOLLGATE), () => undefined)).toBe(template(TOLLGATE));
    expect(segmentTemplatesToLists(template(TOLLGATE), () => (n) => (n === 5 ? undefined : `${n}`))).toBe(template(TOLLGATE));
  });

  it('converts each template of a document on its own: a self-closing one never swallows the next', () => {
    const xml = `<SegmentTemplate${TOLLGATE}/>\n${template(' media="w/$Number$.m4s"', '<S d="1" r="1"/>')}`;
    const out = segmentTemplatesToLists(xml, named);
    expect(out.startsWith(`<SegmentTemplate${TOLLGATE}/>\n`)).toBe(true);
    expect(out).toContain('<SegmentURL media="w/$Number$.m4s#1"/><SegmentURL media="w/$Number$.m4s#2"/>');
    expect(segmentMediaTemplates(`${template(' media="a&amp;b/$Number$.m4s"')}${template(TOLLGATE)}`)).toEqual(['a&b/$Number$.m4s', 'v/seg-$Number%05d$.m4s']);
  });

  it('expands $Number$ with its width, and $$; any other identifier is refused', () => {
    expect(expandNumber('seg-$Number%05d$.m4s', 7)).toBe('seg-00007.m4s');
    expect(expandNumber('seg-$Number$-$$.m4s', 123456)).toBe('seg-123456-$.m4s');
    expect(expandNumber('plain.m4s', 1)).toBe('plain.m4s');
    for (const t of ['$Time$.m4s', '$Bandwidth$/$Number$.m4s', '$RepresentationID$/$Number$', '$Number%5d$']) expect(expandNumber(t, 1), t).toBeUndefined();
  });
});
