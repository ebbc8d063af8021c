import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TetherError, type ErrorCode } from '../src/errors.ts';
import { checkChanges } from '../src/policy/check-changes.ts';
import { checkPathOnDisk } from '../src/policy/check-path-on-disk.ts';
import { checkTreePath } from '../src/policy/check-tree-path.ts';
import { checkPath, createPathPolicy } from '../src/policy/path-policy.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { makeRepo } from './git-fixtures.ts';
import { rejectionCode } from './support/error-code.ts';

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    if (error instanceof TetherError) return error.code;
    throw error;
  }
}

const policy = createPathPolicy({ protected: ['src/policy/', 'tether.config.json'], denied: ['secrets/**'] });

describe('checkPath refuses every attack from issue 4 with its exact code', () => {
  const cases: [string, ErrorCode][] = [
    ['../../etc/passwd', 'PATH_OUTSIDE_ROOT'],
    ['/etc/passwd', 'PATH_ABSOLUTE'],
    ['C:\\x', 'PATH_INVALID'],
    ['C:/x', 'PATH_ABSOLUTE'],
    ['c:x', 'PATH_ABSOLUTE'],
    ['\\\\srv\\s\\x', 'PATH_INVALID'],
    ['../repo-backup/x', 'PATH_OUTSIDE_ROOT'],
    ['a.ts\0.png', 'PATH_INVALID'],
    ['src\\..\\..\\x', 'PATH_INVALID'],
    ['.git/config', 'GIT_INTERNALS_DENIED'],
    ['.GIT/hooks/x', 'GIT_INTERNALS_DENIED'],
    ['.git./x', 'GIT_INTERNALS_DENIED'],
    ['.git /x', 'GIT_INTERNALS_DENIED'],
    ['.git::$INDEX_ALLOCATION/x', 'GIT_INTERNALS_DENIED'],
    ['git~1/x', 'GIT_INTERNALS_DENIED'],
    ['GIT~2/x', 'GIT_INTERNALS_DENIED'],
    ['sub/.git/x', 'GIT_INTERNALS_DENIED'],
    ['.git', 'GIT_INTERNALS_DENIED'],
    ['.ENV', 'PATH_PROTECTED'],
    ['./.env', 'PATH_PROTECTED'],
    ['src/../.env', 'PATH_PROTECTED'],
    ['config/.env.production', 'PATH_PROTECTED'],
    ['src/policy/rules.ts', 'PATH_PROTECTED'],
    ['SRC/Policy/rules.ts', 'PATH_PROTECTED'],
    ['tether.config.json', 'PATH_PROTECTED'],
    ['secrets/key.pem', 'PATH_DENIED'],
    ['', 'PATH_INVALID'],
    ['.', 'PATH_INVALID'],
    ['a/..', 'PATH_INVALID'],
    ['a\u0007b', 'PATH_INVALID'],
    ['a\u007fb', 'PATH_INVALID'],
    ['.g\u200cit/config', 'PATH_INVALID'],
    ['a/.../b', 'PATH_INVALID'],
    ['a/\ud800/b', 'PATH_INVALID'],
  ];
  for (const [path, code] of cases) {
    it(`refuses ${JSON.stringify(path)} with ${code}`, () => {
      expect(codeOf(() => checkPath(path, policy))).toBe(code);
    });
  }

  it('names the operation and the path in the error data', () => {
    try {
      checkPath('../x', policy, { op: 'readFile' });
      expect.unreachable();
    } catch (error) {
      expect((error as TetherError).data).toMatchObject({ op: 'readFile', path: '../x' });
    }
  });
});

describe('checkPath accepts ordinary paths and normalizes them', () => {
  it('returns the NFC form with dot segments and doubled slashes removed', () => {
    expect(checkPath('./src//a/./b.ts', policy)).toBe('src/a/b.ts');
    expect(checkPath('docs/../README.md', policy)).toBe('README.md');
    expect(checkPath('cafe\u0301.md', policy)).toBe('caf\u00e9.md');
  });

  it('keeps a percent-encoded traversal as a literal file name that stays inside the root', () => {
    // The HTTP edge decodes once; decoding here again would turn a file name into a traversal.
    expect(checkPath('..%2f..%2fx', policy)).toBe('..%2f..%2fx');
    expect(posix.resolve('/repo', checkPath('..%2f..%2fx', policy)).startsWith('/repo/')).toBe(true);
  });

  it('allows look-alikes of protected names that are different files', () => {
    expect(checkPath('.github/workflows/ci.yml', policy)).toBe('.github/workflows/ci.yml');
    expect(checkPath('src/env.ts', policy)).toBe('src/env.ts');
    expect(checkPath('gitx/a', policy)).toBe('gitx/a');
  });

  it('refuses a path outside the allowed globs with PATH_DENIED', () => {
    const narrow = createPathPolicy({ allowed: ['src/**'] });
    expect(checkPath('src/a.ts', narrow)).toBe('src/a.ts');
    expect(codeOf(() => checkPath('package.json', narrow))).toBe('PATH_DENIED');
  });
});

describe('no generated path escapes the root', () => {
  const segment = fc.constantFrom('..', '.', 'a', 'b', '.git', '%2e%2e', '%2f', '\\', '', 'é', 'e\u0301', '\0', '..\\..', 'C:', '.env', ' ', '...', 'git~1');
  const rawPath = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 8 })).map(([lead, parts]) => (lead ? '/' : '') + parts.join('/'));

  it('holds for every path checkPath accepts', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        let checked: string;
        try {
          checked = checkPath(raw, {});
        } catch (error) {
          expect(error).toBeInstanceOf(TetherError);
          return;
        }
        const resolved = posix.resolve('/root/repo', checked);
        expect(resolved.startsWith('/root/repo/')).toBe(true);
        expect(checked).not.toMatch(/(^|\/)\.\.?(\/|$)/);
        expect(checked.split('/').some((s) => s.toLowerCase().replace(/[. ]+$/, '') === '.git')).toBe(false);
        expect(checked).not.toMatch(/[\0\\]/);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('checkChanges enforces sizes, counts and symlink creation', () => {
  it('refuses content over maxFileBytes with FILE_TOO_LARGE', () => {
    const small = createPathPolicy({ maxFileBytes: 10 });
    expect(codeOf(() => checkChanges([{ path: 'a', content: 'x'.repeat(11) }], small))).toBe('FILE_TOO_LARGE');
    expect(codeOf(() => checkChanges([{ path: 'a', content: 'é'.repeat(6) }], small))).toBe('FILE_TOO_LARGE');
    expect(codeOf(() => checkChanges([{ path: 'a', content: 'x'.repeat(10) }], small))).toBe('none');
  });

  it('uses 100 KiB and 50 files as defaults', () => {
    expect(codeOf(() => checkChanges([{ path: 'a', content: new Uint8Array(100 * 1024 + 1) }]))).toBe('FILE_TOO_LARGE');
    const many = Array.from({ length: 51 }, (_, i) => ({ path: `f${i}`, content: '' }));
    expect(codeOf(() => checkChanges(many))).toBe('TOO_MANY_FILES');
    expect(codeOf(() => checkChanges(many.slice(1)))).toBe('none');
  });

  it('refuses a change that would create a symlink with SYMLINK_CREATE_DENIED', () => {
    expect(codeOf(() => checkChanges([{ path: 'link', content: '/etc', mode: '120000' }]))).toBe('SYMLINK_CREATE_DENIED');
  });
});

describe('checkPathOnDisk follows symlinks in a real repository', () => {
  const repo = makeRepo({ 'src/a.ts': 'a\n', 'docs/readme.md': 'r\n' });
  afterAll(() => repo.cleanup());
  symlinkSync('/etc', join(repo.dir, 'etc-link'));
  symlinkSync('../../outside', join(repo.dir, 'docs', 'up'));
  symlinkSync('src', join(repo.dir, 'code'));
  symlinkSync('.git', join(repo.dir, 'gitlink'));
  symlinkSync('.env', join(repo.dir, 'envlink'));
  symlinkSync('loop2', join(repo.dir, 'loop1'));
  symlinkSync('loop1', join(repo.dir, 'loop2'));
  mkdirSync(join(repo.root, 'outside'));
  writeFileSync(join(repo.root, 'outside', 'x'), 'x');
  const check = (path: string) => rejectionCode(checkPathOnDisk({ fs: nodeFs, root: repo.dir, path }));

  it('refuses a symlink in the repository pointing at /etc with SYMLINK_ESCAPE', async () => {
    expect(await check('etc-link/passwd')).toBe('SYMLINK_ESCAPE');
    expect(await check('etc-link')).toBe('SYMLINK_ESCAPE');
  });

  it('refuses a new file under a symlinked directory that leads out with SYMLINK_ESCAPE', async () => {
    expect(await check('etc-link/new-file')).toBe('SYMLINK_ESCAPE');
    expect(await check('docs/up/x')).toBe('SYMLINK_ESCAPE');
    expect(await check('docs/up/brand-new/y')).toBe('SYMLINK_ESCAPE');
  });

  it('refuses links that stay inside but land on git internals or secrets', async () => {
    expect(await check('gitlink/config')).toBe('GIT_INTERNALS_DENIED');
    expect(await check('envlink')).toBe('PATH_PROTECTED');
  });

  it('refuses a symlink loop with SYMLINK_ESCAPE', async () => {
    expect(await check('loop1/x')).toBe('SYMLINK_ESCAPE');
  });

  it('accepts links that stay inside and new files in real directories', async () => {
    await expect(checkPathOnDisk({ fs: nodeFs, root: repo.dir, path: 'code/a.ts' })).resolves.toEqual({
      path: 'code/a.ts',
      resolvedPath: 'src/a.ts',
      exists: true,
    });
    await expect(checkPathOnDisk({ fs: nodeFs, root: repo.dir, path: 'src/new/b.ts' })).resolves.toMatchObject({ exists: false });
  });
});

describe('checkTreePath refuses symlink entries in git trees', () => {
  const repo = makeRepo({ 'src/a.ts': 'a\n' });
  afterAll(() => repo.cleanup());
  symlinkSync('/etc', join(repo.dir, 'etc-link'));
  symlinkSync('src', join(repo.dir, 'code'));
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'links');
  const tree = repo.git('rev-parse', 'HEAD^{tree}');
  const check = (path: string, access: 'read' | 'write') =>
    rejectionCode(checkTreePath({ fs: nodeFs, gitdir: repo.gitdir, tree, path, access }));

  it('refuses reading through a tree symlink that points outside with SYMLINK_ESCAPE', async () => {
    expect(await check('etc-link/passwd', 'read')).toBe('SYMLINK_ESCAPE');
    expect(await check('etc-link', 'read')).toBe('SYMLINK_ESCAPE');
  });

  it('refuses writing through or onto any tree symlink with SYMLINK_ESCAPE', async () => {
    expect(await check('code/new.ts', 'write')).toBe('SYMLINK_ESCAPE');
    expect(await check('code', 'write')).toBe('SYMLINK_ESCAPE');
  });

  it('follows an inside symlink for reading', async () => {
    const result = await checkTreePath({ fs: nodeFs, gitdir: repo.gitdir, tree, path: 'code/a.ts', access: 'read' });
    expect(result.resolvedPath).toBe('src/a.ts');
    expect(result.entry?.oid).toBe(repo.git('rev-parse', 'HEAD:src/a.ts'));
  });
});
