/** CLI exit codes (documented in README "Operations") and the error that carries one. */
export const EXIT = { OK: 0, PROBLEM: 1, USAGE: 2, UNAVAILABLE: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.UNAVAILABLE,
    /** When a service answered an error: its HTTP status, error code (RS_ERR_…) and message. */
    readonly answer?: { status: number; code?: string; message: string },
  ) {
    super(message);
    this.name = 'CliError';
  }
}
