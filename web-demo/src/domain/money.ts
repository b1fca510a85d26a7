// Amounts are whole cents (integers), so sums never suffer from floating-point rounding.

const MAX_CENTS = 100_000_000_00; // 100 million per operation

const format = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatCents(cents: number): string {
  return format.format(cents / 100);
}

/** "12.5" → 1250; undefined when the text is not a positive amount with at most 2 decimals. */
export function parseCents(text: string): number | undefined {
  const match = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return cents > 0 && cents <= MAX_CENTS ? cents : undefined;
}

export const MAX_AMOUNT = formatCents(MAX_CENTS);
