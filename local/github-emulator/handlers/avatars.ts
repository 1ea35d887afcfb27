import { createHash } from 'node:crypto';
import type { Route } from '../http.js';

/**
 * GitHub's avatars (avatars.githubusercontent.com/u/{id}): the emulator's `avatar_url`s point here,
 * so a page showing them (the console) loads a picture, not an error. Each id gets its own
 * identicon, a 5×5 mirrored pattern in one colour, as GitHub draws for accounts without a photo.
 */
export function identicon(id: string): string {
  const hash = createHash('sha256').update(id).digest();
  const colour = `hsl(${(hash[0] ?? 0) * 1.4} 55% 50%)`;
  const cells: string[] = [];
  for (let row = 0; row < 5; row++)
    for (let column = 0; column < 3; column++)
      if (((hash[1 + row * 3 + column] ?? 0) & 1) === 1)
        for (const x of new Set([column, 4 - column]))
          cells.push(`<rect x="${x + 0.5}" y="${row + 0.5}" width="1" height="1"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 6 6"><rect width="6" height="6" fill="#f0f0f0"/><g fill="${colour}">${cells.join('')}</g></svg>`;
}

export const avatarRoutes: Route[] = [
  {
    method: 'GET',
    template: '/avatars/u/{id}',
    kind: 'web',
    handle: (request) => ({
      status: 200,
      headers: { 'Cache-Control': 'max-age=3600' },
      text: { contentType: 'image/svg+xml', body: identicon(request.params.id ?? '') },
    }),
  },
];
