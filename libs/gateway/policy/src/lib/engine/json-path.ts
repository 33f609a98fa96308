const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `$.a` for identifier keys, `$['a.b']` otherwise (JSON path of a validation problem). */
export function childPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return `${parent}.${key}`;
  return `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** `$.rules[3]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
