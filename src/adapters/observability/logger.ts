import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs on stdout, or on `destination` (the in-process benches write each line as the service
 * does, to a sink, instead of keeping them all in memory). Credentials are redacted by path as a
 * second line of defence: the code never logs a token on purpose, and these paths catch one that
 * slips into a logged object.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mastery-engine', ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['authorization', 'token', 'secret', 'password', '*.authorization', '*.token', '*.secret', '*.password', 'req.headers.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
