import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('parses named events with JSON data and skips comments', () => {
    const parser = new SseParser();
    expect(parser.push(': heartbeat\n\nevent: audit\ndata: [{"id":"a"}]\n\n')).toEqual([{ event: 'audit', data: '[{"id":"a"}]' }]);
  });

  it('defaults the event name to "message" and joins data lines with \\n', () => {
    expect(new SseParser().push('data: one\ndata:two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('keeps an event spread over several chunks until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('event: au')).toEqual([]);
    expect(parser.push('dit\ndata: [1,')).toEqual([]);
    expect(parser.push('2]\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'audit', data: '[1,2]' }]);
  });

  it('accepts CRLF and CR line endings, including a CRLF split across chunks', () => {
    const parser = new SseParser();
    expect(parser.push('event: a\r\ndata: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'a', data: 'x' }]);
    expect(parser.push('data: y\r\r')).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('carries the last event id and ignores events without data and unknown fields', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\nretry: 1000\nfoo: bar\nevent: audit\n\n')).toEqual([]);
    expect(parser.push('data: z\n\n')).toEqual([{ event: 'message', data: 'z', id: '7' }]);
  });

  it('treats a field without a colon as an empty value and strips only one leading space', () => {
    expect(new SseParser().push('data\ndata:  two spaces\n\n')).toEqual([{ event: 'message', data: '\n two spaces' }]);
  });
});
