import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body exactly as received. */
  raw: Buffer;
}

export interface MockUpstreamOptions {
  /** Delay before answering (ms). */
  delayMs?: number;
  /** Per-request override: return true when handled. */
  handler?: (req: RecordedRequest, res: import('node:http').ServerResponse) => boolean | Promise<boolean>;
}

/**
 * A local OpenAI-compatible upstream for tests and the benchmark. Answers `/v1/chat/completions`
 * (JSON, or SSE when `stream: true`, with a usage chunk when `stream_options.include_usage`),
 * `/v1/embeddings`, `/v1/models`, and echoes anything else as JSON. Records every request it saw.
 */
export class MockUpstream {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  port = 0;

  constructor(private readonly options: MockUpstreamOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: raw.toString('utf8'),
          raw,
        };
        this.requests.push(recorded);
        const answer = async () => {
          if (this.options.handler && (await this.options.handler(recorded, res))) return;
          respondOpenAi(recorded, res);
        };
        if (this.options.delayMs) setTimeout(() => void answer(), this.options.delayMs);
        else void answer();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The default OpenAI-compatible answers. */
export function respondOpenAi(req: RecordedRequest, res: import('node:http').ServerResponse): void {
  const path = req.url.split('?')[0];
  let body: Record<string, unknown> = {};
  try {
    body = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
  } catch {
    /* not JSON */
  }
  const model = typeof body['model'] === 'string' ? body['model'] : 'gpt-4o-mini';
  if (path.endsWith('/chat/completions') && req.method === 'POST') {
    if (body['stream'] === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'upstream-req-1' });
      const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model };
      const words = ['Hello', ' from', ' the', ' mock'];
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`,
      );
      for (const w of words)
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      const opts = body['stream_options'] as { include_usage?: boolean } | undefined;
      if (opts?.include_usage)
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n\n`,
        );
      res.end('data: [DONE]\n\n');
      return;
    }
    json(res, 200, {
      id: 'chatcmpl-mock',
      object: 'chat.completion',
      created: 1700000000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the mock' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    });
    return;
  }
  if (path.endsWith('/embeddings') && req.method === 'POST') {
    json(res, 200, {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
      model,
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    return;
  }
  if (path.endsWith('/models') && req.method === 'GET') {
    json(res, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1700000000, owned_by: 'mock' }] });
    return;
  }
  json(res, 200, { method: req.method, url: req.url, received_body: req.body });
}

function json(res: import('node:http').ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': 'upstream-req-1',
  });
  res.end(text);
}
