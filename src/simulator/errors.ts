/**
 * An error that becomes an HTTP error response `{ code, message }`. Route handlers throw it,
 * and the server turns it into the response.
 */
export class SimulatorHttpError extends Error {
  readonly status: number;
  /** Stable snake_case code sent as `code` in the body. */
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'SimulatorHttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Builds the 400 error that the control API and the in-process methods raise for bad input. */
export function invalidRequest(message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, 'invalid_request', message);
}
