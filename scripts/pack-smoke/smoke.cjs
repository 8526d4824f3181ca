// require() of the installed package.
const gw = require('gradwell');
require('./checks.cjs').runChecks('require', gw).catch((err) => {
  console.error(err);
  process.exit(1);
});
