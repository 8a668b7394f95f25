import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';

type Documentation = NonNullable<Parameters<typeof openapi>[0]>['documentation'];
type Responses = Record<string, { content?: Record<string, unknown> }>;
type Document = { paths?: Record<string, Record<string, { responses?: Responses }>> };

const SPEC_PATH = '/docs/json';

/**
 * Elysia's t.NoValidate marks a schema `noValidate: true` (a route whose body it must not check),
 * which is no JSON Schema keyword; the plugin copies it into the document. Removed in place.
 */
function dropNoValidate(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropNoValidate);
  else if (node !== null && typeof node === 'object') {
    const schema = node as Record<string, unknown>;
    if (typeof schema.noValidate === 'boolean') delete schema.noValidate;
    Object.values(schema).forEach(dropNoValidate);
  }
}

/**
 * The plugin's document as it is served: a response without a body (t.Undefined(), the 304) is
 * written as `content: {type: "undefined"}`, which OpenAPI tools refuse, so such a response gets
 * no content; and no schema keeps t.NoValidate's marker. Returns a corrected copy: the plugin's
 * document is its cache, shared by every request.
 */
function served(doc: Document): Document {
  const copy = structuredClone(doc);
  for (const operations of Object.values(copy.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        if (typeof response.content?.type === 'string') delete response.content;
      }
    }
  }
  dropNoValidate(copy.paths);
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
      if (!doc) completed.set(response, (doc = served(response as Document)));
      return doc;
    })
    .use(openapi({ path: '/docs', specPath: SPEC_PATH, documentation }));
}
