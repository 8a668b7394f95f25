import { Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { ID_PATTERN_SOURCE } from '../../domain/mastery/event';
import { LEVELS } from '../../domain/mastery/mastery';

/** Wire schemas (snake_case) shared by the routes; they are also the OpenAPI document. */
export const Id = t.String({ pattern: ID_PATTERN_SOURCE, minLength: 1, maxLength: 128, description: 'letters, digits and . _ : -' });
export const Unit = t.Number({ minimum: 0, maximum: 1 });
/**
 * A whole number in a response. TypeBox's plain integer: Elysia's t.Integer adds a string-to-number
 * transform, which sends every response through TypeBox's slow uncompiled encoder (about a fifth
 * of a query's CPU) and documents the field as "string or integer".
 */
export const Int = (options: { minimum?: number } = {}) => Type.Integer(options);
/**
 * A whole number in a query string. Elysia turns a query's text into a number only for t.Number;
 * t.Integer would be documented as "a string, default 0, or an integer".
 */
export const QueryInt = (options: { minimum?: number; maximum?: number }) => t.Number({ ...options, multipleOf: 1 });
export const Level = t.Union([t.Literal(LEVELS[0]), t.Literal(LEVELS[1]), t.Literal(LEVELS[2]), t.Literal(LEVELS[3])]);
export const ComponentsSchema = t.Object(
  { completion: Unit, quiz: Unit, quality: Unit, consistency: Unit },
  { additionalProperties: false },
);

export const MasteryResult = t.Object({
  mastery_score: Unit,
  level: Level,
  components: ComponentsSchema,
  contributions: ComponentsSchema,
});

export const TopicMasterySchema = t.Object({
  topic_id: t.String(),
  mastery_score: Unit,
  level: Level,
  components: ComponentsSchema,
  contributions: ComponentsSchema,
  event_count: Int({ minimum: 0 }),
  updated_at: t.Nullable(t.String({ format: 'date-time' })),
});

export const StudentMasterySchema = t.Object(
  {
    student_id: t.String(),
    overall: t.Object({ mastery_score: Unit, level: Level }),
    topics: t.Array(TopicMasterySchema),
  },
  { additionalProperties: false },
);

export const ErrorSchema = t.Object({
  error: t.Object({
    code: t.String(),
    message: t.String(),
    details: t.Optional(t.Array(t.Object({ field: t.String(), code: t.Optional(t.String()), message: t.String() }))),
    request_id: t.String(),
  }),
});

/** The error statuses every authenticated API route may answer. */
export const API_ERRORS = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  413: ErrorSchema,
  415: ErrorSchema,
  429: ErrorSchema,
  503: ErrorSchema,
} as const;

export const SECURED = { security: [{ bearer: [] }] };
