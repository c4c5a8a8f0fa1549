import { describe, expect, it } from 'vitest';
import { requestId } from '../../src/execution/requestId.js';

describe('request ids', () => {
  it('are RFC 9562 UUIDv7: version 7, variant 10, the current time in milliseconds, sorting in creation order', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, requestId);
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(ids[0]?.replace(/-/g, '').slice(0, 12) ?? '', 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
