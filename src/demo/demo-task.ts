/**
 * The demo's own task type, `demo.publish`: slugifies a title with the sample project's
 * code as it is on disk now, and fails when the slug is wrong. Its error names the file,
 * so the planner's CODE_ANALYZE finds where to look.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskHandler } from '../scheduler/task-handler.ts';

/** Loads `src/slug.js` fresh (no module cache), as CommonJS. */
function loadSlugify(dir: string): (title: string) => string {
  const source = readFileSync(join(dir, 'src/slug.js'), 'utf8');
  const module = { exports: {} as { slugify?: (t: string) => string } };
  new Function('module', 'exports', 'require', source)(module, module.exports, () => {
    throw new Error('the demo module may not require anything');
  });
  if (typeof module.exports.slugify !== 'function') throw new Error('src/slug.js exports no slugify');
  return module.exports.slugify;
}

export function demoPublishHandler(dir: string): TaskHandler {
  return async (task) => {
    const title = String(task.payload.title ?? 'Hello Big World');
    const expected = title.trim().toLowerCase().split(/\s+/).join('-');
    const slug = loadSlugify(dir)(title);
    if (slug !== expected) {
      throw new Error(`slugify('${title}') returned '${slug}', expected '${expected}' (in src/slug.js)`);
    }
    return { slug };
  };
}
