// Small DOM helpers.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text) element.textContent = text;
  return element;
}

export const count = (n: number) => n.toLocaleString('en-US');

export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

/** "09:41:07.123" in local time. */
export function clock(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Sets a <progress>-like bar (a div with a child) and its label. */
export function setProgress(bar: HTMLElement, done: number, total: number): void {
  const fill = bar.firstElementChild as HTMLElement;
  fill.style.width = `${total ? Math.round((done / total) * 100) : 0}%`;
  bar.setAttribute('aria-valuenow', String(total ? Math.round((done / total) * 100) : 0));
}

/** Runs `work` with `controls` disabled. */
export async function busy<T>(buttons: Array<HTMLButtonElement | HTMLInputElement>, work: () => Promise<T>): Promise<T> {
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}
