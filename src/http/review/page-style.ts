/** The review page's stylesheet: plain CSS, served inline under the page's CSP nonce. */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --add: #e6ffec; --del: #ffebe9; --muted: #667; --line: #d0d7de; }
@media (prefers-color-scheme: dark) { :root { --add: #12361f; --del: #4a1d1f; --muted: #99a; --line: #444; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.15rem; margin: 0; }
#who { color: var(--muted); flex: 1; }
main, #signin { padding: 1rem 1.2rem; max-width: 80rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.2rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
button { font: inherit; padding: .3rem .8rem; cursor: pointer; }
button.link { background: none; border: none; padding: 0; color: inherit; text-decoration: underline; text-align: left; }
tr.selected { outline: 2px solid #0969da; }
.state { font-weight: 600; }
.state-merged, .state-achieved, .test-passed { color: #1a7f37; }
.state-failed, .state-rejected, .state-conflicted, .test-failed { color: #cf222e; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
#actions { display: flex; gap: .5rem; align-items: flex-start; margin: .8rem 0; }
#comment { flex: 1; min-height: 2.2rem; font: inherit; }
#approve { background: #1a7f37; color: #fff; border: 0; border-radius: 4px; }
#reject { background: #cf222e; color: #fff; border: 0; border-radius: 4px; }
.error { color: #cf222e; }
.diff-file { border: 1px solid var(--line); border-radius: 4px; margin: .8rem 0; overflow-x: auto; }
.diff-file h3 { font: 600 .9rem ui-monospace, monospace; margin: 0; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
.hunk-header { color: var(--muted); }
.diff-line { font: .85rem/1.4 ui-monospace, monospace; white-space: pre; padding: 0 .6rem; }
.diff-add { background: var(--add); }
.diff-del { background: var(--del); }
pre.output { max-height: 12rem; overflow: auto; font-size: .8rem; border: 1px solid var(--line); padding: .4rem; }
`;
