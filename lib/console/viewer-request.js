// The console's CloudFront Function (cloudfront-js-2.0, viewer request on /console and /console/*).
// npm start runs this same file (local/console-site.ts), so the local server and CloudFront agree.
// - /console → 301 /console/ (relative asset URLs need the trailing slash);
// - a method other than GET/HEAD → 405 (the console is static files);
// - a missing file under assets/ or at the top level with an extension (favicon.ico) stays a 404;
// - any other path (a screen's deep link, even one ending in a file name like …/README.md) → index.html,
//   so a reload or a shared link opens that screen. Only this behaviour gets the fallback: the API's own
//   403/404 answers are never rewritten, as distribution-wide custom error responses would do.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return {
      statusCode: 405,
      statusDescription: 'Method Not Allowed',
      headers: { allow: { value: 'GET, HEAD' }, 'content-type': { value: 'text/plain' } },
    };
  }
  if (uri === '/console') {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: '/console/' } },
    };
  }
  var rest = uri.slice('/console/'.length);
  var isFile = rest.indexOf('assets/') === 0 || (rest.indexOf('/') === -1 && rest.indexOf('.') !== -1);
  if (!isFile) request.uri = '/console/index.html';
  return request;
}
