import type { IncomingMessage, ServerResponse } from 'node:http';

import { invalidRequest, SimulatorHttpError } from './errors.js';
import type { MalformedKind } from './types.js';

/** Largest request body accepted, in bytes; every body the API takes is far smaller. */
const MAX_BODY_BYTES = 1024 * 1024;

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(response, status, JSON.stringify(body), 'application/json', headers);
}

export function sendError(response: ServerResponse, error: SimulatorHttpError): void {
  sendJson(response, error.status, { code: error.code, message: error.message }, error.headers);
}

/**
 * Sends a 200 whose body breaks the contract: `truncated` cuts the JSON in half,
 * `not-json` sends an HTML error page as a proxy would, and `invalid-schema` sends valid JSON
 * whose top-level fields have the wrong types.
 */
export function sendMalformed(response: ServerResponse, kind: MalformedKind, body: unknown): void {
  if (kind === 'truncated') {
    const text = JSON.stringify(body);
    const half = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    sendText(response, 200, half, 'application/json');
    return;
  }
  if (kind === 'not-json') {
    const page =
      '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>' +
      '<body><h1>502 Bad Gateway</h1><p>The upstream server did not respond.</p></body></html>';
    sendText(response, 200, page, 'text/html; charset=utf-8');
    return;
  }
  sendJson(response, 200, wrongTypes(body));
}

function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/**
 * Swaps the type of every top-level field: arrays become objects keyed by index, numbers
 * and booleans become strings, strings become their length, and objects become arrays.
 */
function wrongTypes(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) {
    return { value: body };
  }

  const swapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) {
      swapped[name] = { ...value };
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      swapped[name] = String(value);
    } else if (typeof value === 'string') {
      swapped[name] = value.length;
    } else {
      swapped[name] = value === null ? false : [value];
    }
  }
  return swapped;
}

/** Reads the whole body as UTF-8; throws 413 payload_too_large past 1 MiB. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;

  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      // The rest of the body stays unread, so the connection cannot be reused.
      const message = `The request body exceeds ${MAX_BODY_BYTES} bytes`;
      throw new SimulatorHttpError(413, 'payload_too_large', message, { connection: 'close' });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; an empty body yields `emptyValue`, invalid JSON a 400 invalid_request. */
export function parseJson(text: string, emptyValue: unknown): unknown {
  if (text.trim() === '') {
    return emptyValue;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Returns whether the request declares a JSON body, as `application/json` with any parameters. */
export function hasJsonContentType(request: IncomingMessage): boolean {
  const contentType = request.headers['content-type'] ?? '';
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Decodes a percent-encoded path segment; a malformed encoding is returned as it is. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
