/**
 * Jest setup (each test file): EMF metric lines (`{"_aws":…}`, Powertools Metrics writes them straight
 * to stdout) stay out of the test output. A test that reads them captures stdout itself
 * (capture-output.ts spies on `process.stdout.write` above this filter, so it sees every line).
 */
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (String(chunk).startsWith('{"_aws"')) {
    const callback = rest.find((argument) => typeof argument === 'function');
    if (callback) callback();
    return true;
  }
  return write(chunk, ...rest);
};
