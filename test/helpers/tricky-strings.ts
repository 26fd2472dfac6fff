import fc from 'fast-check';

/** Characters around the places where UTF-16 and UTF-8 orders disagree, mixed with any code point. */
export const trickyChar = fc.oneof(
  fc.constantFrom('a', 'b', '#', '\0', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

/** Short strings of {@link trickyChar}, short enough that prefixes and ties are common. */
export const trickyString = fc.string({ unit: trickyChar, maxLength: 6 });
