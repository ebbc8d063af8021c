/**
 * Rebuilds a tree with some files written or deleted, reading and writing only the trees on
 * the changed paths: every untouched subtree keeps its id.
 */
import { TetherError } from '../errors.ts';
import type { GitContext } from './git-context.ts';
import { readTreeEntries, writeTreeEntries, type TreeEntry } from './tree-entries.ts';

/** One file-level edit: store a blob at the path, or remove the path. */
export type TreeEdit = { path: string; oid: string; mode: string } | { path: string; delete: true };

interface EditNode {
  edit?: TreeEdit;
  children: Map<string, EditNode>;
}

function buildEditTree(edits: readonly TreeEdit[]): EditNode {
  const root: EditNode = { children: new Map() };
  for (const edit of edits) {
    let node = root;
    for (const name of edit.path.split('/')) {
      let child = node.children.get(name);
      if (!child) node.children.set(name, (child = { children: new Map() }));
      node = child;
    }
    if (node.edit) throw new TetherError('VALIDATION_FAILED', `path changed twice: ${edit.path}`, { op: 'editTree', path: edit.path });
    node.edit = edit;
  }
  return root;
}

function refuse(code: 'SYMLINK_ESCAPE' | 'PATH_INVALID' | 'NOT_FOUND', path: string, reason: string): never {
  throw new TetherError(code, `${path}: ${reason}`, { op: 'editTree', path, reason });
}

async function rebuild(ctx: GitContext, tree: string | null, node: EditNode, prefix: string): Promise<string | null> {
  const entries = new Map<string, TreeEntry>();
  if (tree) for (const entry of await readTreeEntries(ctx, tree)) entries.set(entry.path, entry);
  let changed = false;
  for (const [name, child] of node.children) {
    const path = prefix ? `${prefix}/${name}` : name;
    const existing = entries.get(name);
    if (child.edit && child.children.size > 0) refuse('PATH_INVALID', path, 'changed both as a file and as a directory');
    if (child.edit) {
      if (existing?.type === 'tree') refuse('PATH_INVALID', path, 'is a directory');
      if (existing?.type === 'commit') refuse('PATH_INVALID', path, 'is a submodule');
      if ('delete' in child.edit) {
        if (!existing) refuse('NOT_FOUND', path, 'does not exist');
        entries.delete(name);
        changed = true;
        continue;
      }
      // Writing a file where a symlink is: the change was written against what the link
      // points to, which a tree edit cannot follow safely.
      if (existing?.mode === '120000') refuse('SYMLINK_ESCAPE', path, 'is a symlink and cannot be written');
      if (existing?.oid !== child.edit.oid || existing.mode !== child.edit.mode) {
        entries.set(name, { mode: child.edit.mode, path: name, oid: child.edit.oid, type: 'blob' });
        changed = true;
      }
      continue;
    }
    if (existing?.mode === '120000') refuse('SYMLINK_ESCAPE', path, 'is a symlink: a path under it would leave the tree');
    if (existing && existing.type !== 'tree') refuse('PATH_INVALID', path, 'is not a directory');
    const subtree = await rebuild(ctx, existing?.oid ?? null, child, path);
    if (subtree === (existing?.oid ?? null)) continue;
    changed = true;
    if (subtree === null) entries.delete(name);
    else entries.set(name, { mode: '040000', path: name, oid: subtree, type: 'tree' });
  }
  if (!changed) return tree;
  // Git has no empty directories: a subtree left empty disappears from its parent.
  if (entries.size === 0 && prefix !== '') return null;
  return writeTreeEntries(ctx, [...entries.values()]);
}

/** Applies the edits to `tree` and returns the new root tree id. */
export async function editTree(ctx: GitContext, tree: string, edits: readonly TreeEdit[]): Promise<string> {
  const root = await rebuild(ctx, tree, buildEditTree(edits), '');
  // The root always exists, even when every file was deleted.
  return root ?? writeTreeEntries(ctx, []);
}
