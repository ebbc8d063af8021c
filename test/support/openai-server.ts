/**
 * A local stand-in for an OpenAI-compatible endpoint: POST /v1/chat/completions answers
 * with scripted replies, non-streaming, in the chat-completions shape. Model tests run
 * against it, so nothing calls out of the machine. Every request is recorded.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: Array<{ role: string; content: unknown }>;
    response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
    stream?: boolean;
    [key: string]: unknown;
  };
}

/**
 * One scripted reply: text, or a value sent as JSON text (what a model in JSON mode
 * writes), or an HTTP error.
 */
export type Reply = { text: string } | { json: unknown } | { status: number; error: string };

export interface OpenAIServer {
  /** The API base to configure: `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Every request received, in order. */
  requests: ChatRequest[];
  /** Queues replies, used in order; when none is left `fallback` answers. */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

export interface OpenAIServerOptions {
  /** Answers when no scripted reply is queued (default: the text "ok"). */
  fallback?: (request: ChatRequest) => Reply;
}

function completion(model: string, content: string): unknown {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const requests: ChatRequest[] = [];
  const queue: Reply[] = [];
  const fallback = options.fallback ?? (() => ({ text: 'ok' }));

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return send(404, { error: { message: `No route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    let body: ChatRequest['body'];
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(400, { error: { message: 'The body is not JSON.', type: 'invalid_request_error' } });
    }
    const request: ChatRequest = { path: req.url, headers: req.headers, body };
    requests.push(request);
    if (body.stream) return send(400, { error: { message: 'This test server does not stream.', type: 'invalid_request_error' } });
    const reply = queue.shift() ?? fallback(request);
    if ('status' in reply) return send(reply.status, { error: { message: reply.error, type: 'server_error' } });
    const content = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
    return send(200, completion(body.model ?? 'test-model', content));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
