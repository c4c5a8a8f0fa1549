/**
 * Suggestions for a misspelled name: the known names within a small edit distance, best first.
 * Mirrors graphql-js `suggestionList` + `didYouMean`: a threshold relative to the input length keeps
 * "x" from suggesting every one-letter name.
 */
export function suggestionList(input: string, options: readonly string[]): string[] {
  const threshold = Math.floor(input.length * 0.4) + 1;
  const lowered = input.toLowerCase();
  const scored: { option: string; distance: number }[] = [];
  for (const option of options) {
    const distance = lowered === option.toLowerCase() ? 0.5 : levenshtein(lowered, option.toLowerCase());
    if (distance <= threshold) scored.push({ option, distance });
  }
  scored.sort((a, b) => a.distance - b.distance || a.option.localeCompare(b.option));
  return scored.map((s) => s.option);
}

/** ` Did you mean "a", "b" or "c"?` for the best suggestions, or `""` when there are none. */
export function didYouMean(input: string, options: readonly string[]): string {
  const suggestions = suggestionList(input, options).slice(0, 3).map((s) => `"${s}"`);
  if (suggestions.length === 0) return '';
  if (suggestions.length === 1) return ` Did you mean ${suggestions[0]}?`;
  const last = suggestions.pop() as string;
  return ` Did you mean ${suggestions.join(', ')} or ${last}?`;
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
