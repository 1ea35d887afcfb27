import { withoutForeignTrailers } from '../../functions/shared/git/trailers.js';

const caller = { id: 7, login: 'octo-teammate' };
const own = 'Co-authored-by: octo-teammate <7+octo-teammate@users.noreply.github.com>';

describe('withoutForeignTrailers', () => {
  it('removes attribution trailers naming others, whatever their case, and keeps ordinary text', () => {
    const message = [
      'Fix the build',
      '',
      'Closes: #12 and this line stays.',
      'co-AUTHORED-by: octo-demo <1+octo-demo@users.noreply.github.com>',
      '',
      'Signed-off-by: Mona <mona@example.com>',
      '  Reviewed-By : Someone <s@example.com>',
      own,
    ].join('\n');
    const { message: cleaned, removedTrailers } = withoutForeignTrailers(message, caller);
    expect(removedTrailers).toEqual([
      'co-AUTHORED-by: octo-demo <1+octo-demo@users.noreply.github.com>',
      'Signed-off-by: Mona <mona@example.com>',
      'Reviewed-By : Someone <s@example.com>',
    ]);
    expect(cleaned).toBe(['Fix the build', '', 'Closes: #12 and this line stays.', '', own].join('\n'));
  });

  it('leaves a message without such trailers exactly as it is', () => {
    const message = 'Add a\n\nThe co-authored-by: line is mentioned, not a trailer.\nRefs: #1\n';
    expect(withoutForeignTrailers(message, caller)).toEqual({ message, removedTrailers: [] });
  });

  it('refuses a message that is nothing but trailers naming others', () => {
    let caught: unknown;
    try {
      withoutForeignTrailers('Co-authored-by: x <x@example.com>\n', caller);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'invalid_request', statusCode: 400 });
  });
});
