/** Progress lines and number formatting shared by the bench's modules. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
