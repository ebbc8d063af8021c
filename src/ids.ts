/** Short, sortable, URL- and branch-safe ids: a time prefix and random suffix. */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, '0');
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => (b % 36).toString(36)).join('');
  return `${prefix}_${time}${random}`;
}
