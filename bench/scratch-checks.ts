import { generateDataset, SMALL, LARGE } from './dataset';
import { benchChecks } from './checks.bench';
(async () => {
  let t = Date.now();
  const small = generateDataset(SMALL);
  console.log('small gen', Date.now() - t); t = Date.now();
  const large = generateDataset(LARGE);
  console.log('large gen', Date.now() - t, large.grantCount);
  const r = await benchChecks(small, large, { quick: process.argv.includes('--quick'), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 1));
})();
