// Loads the `ws` WebSocket library for the test tools: from NODE_PATH or
// node_modules when there, else from Debian's node-ws package, which
// installs it under /usr/share/nodejs (ES module imports ignore NODE_PATH,
// so this goes through require).
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);

export function loadWs() {
  const tried = [];
  for (const name of ['ws', '/usr/share/nodejs/ws']) {
    try {
      return require(name);
    } catch (error) {
      tried.push(`${name}: ${error.code || error.message}`);
    }
  }
  throw new Error('the ws library is missing (Debian: apt-get install node-ws); tried ' +
                  tried.join(', '));
}
