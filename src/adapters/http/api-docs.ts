import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';

type Documentation = NonNullable<Parameters<typeof openapi>[0]>['documentation'];
type Responses = Record<string, { content?: Record<string, unknown> }>;
type Document = { paths?: Record<string, Record<string, { responses?: Responses }>> };

const SPEC_PATH = '/docs/json';

/**
 * @elysiajs/openapi writes a response without a body (t.Undefined(), the 304) as
 * `content: {type: "undefined"}`, which OpenAPI tools refuse; such a response has no content.
 * Returns a corrected copy: the plugin's document is its cache, shared by every request.
 */
function withoutVoidContent(doc: Document): Document {
  const copy = structuredClone(doc);
  for (const operations of Object.values(copy.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        if (typeof response.content?.type === 'string') delete response.content;
      }
    }
  }
  return copy;
}

/**
 * The interactive page at /docs and the OpenAPI document at /docs/json, generated from the
 * routes' schemas; tests/e2e/openapi.test.ts holds the document to the OpenAPI 3.1 schema.
 */
export function apiDocs(documentation: Documentation) {
  const completed = new WeakMap<object, Document>();
  return new Elysia({ name: 'api-docs' })
    .onAfterHandle(({ path, response }) => {
      if (path !== SPEC_PATH || typeof response !== 'object' || response === null) return;
      let doc = completed.get(response);
      if (!doc) completed.set(response, (doc = withoutVoidContent(response as Document)));
      return doc;
    })
    .use(openapi({ path: '/docs', specPath: SPEC_PATH, documentation }));
}
