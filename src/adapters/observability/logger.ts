import pino, { type Logger } from 'pino';

/**
 * JSON logs on stdout. Credentials are redacted by path as a second line of defence: the code
 * never logs a token on purpose, and these paths catch one that slips into a logged object.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'mastery-engine', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['authorization', 'token', 'secret', 'password', '*.authorization', '*.token', '*.secret', '*.password', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
