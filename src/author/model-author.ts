/**
 * An author over the Model port: shows the model the goal, its evidence and the files,
 * and asks for whole-file replacements as structured output.
 */
import { z } from 'zod';
import type { Model } from '../model/model.ts';
import type { Author, AuthoredChange, AuthorRequest } from './author.ts';

const answerSchema = z.object({
  title: z.string().min(1),
  reason: z.string(),
  changes: z.array(z.object({ path: z.string().min(1), content: z.string() })).min(1),
});

const SYSTEM = [
  'You fix code in a git repository. You are shown a goal, its evidence and the relevant files.',
  'Answer with JSON: {"title": short commit title, "reason": why, "changes": [{"path", "content"}]},',
  'where each change replaces the whole file at that path. Change as little as needed.',
].join(' ');

export function modelAuthor(model: Model, name = 'model-author'): Author {
  return {
    name,
    async propose(request: AuthorRequest, signal?: AbortSignal): Promise<AuthoredChange> {
      const files = request.files.map((f) => `--- ${f.path}\n${f.content}`).join('\n\n');
      const prompt = `Goal: ${request.goal.title}\n${request.goal.description}\n\nEvidence:\n${JSON.stringify(request.goal.evidence, null, 2)}\n\nFiles:\n${files}`;
      const answer = await model.complete({ system: SYSTEM, messages: [{ role: 'user', content: prompt }], schema: answerSchema, ...(signal ? { signal } : {}) });
      const object = answer.object!;
      return { title: object.title, reason: object.reason, changes: object.changes.map((c) => ({ path: c.path, content: c.content })) };
    },
  };
}
