#!/usr/bin/env bash
# Writes a small Vite project under DEST/project and builds it with Vite
# from npm, with `build.manifest` on: two entries sharing a chunk, a
# dynamic import, CSS imported from JS, an image and a font referenced from
# CSS. Its output, DEST/project/dist, is what the Vite tests collect:
#
#     scripts/vite-fixture.sh DEST
#     ASSET_VITE_DIST=DEST/project/dist cargo test -p asset-build --test vite -- --ignored
set -euo pipefail
dest=${1:?usage: $0 DEST}
vite_version=${ASSET_VITE_VERSION:-8.3.8}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
project="$dest/project"
rm -rf "${project:?}/src" "${project:?}/dist" "${project:?}/dist-chunkmap" "${project:?}/dist-chunkmap-edited"
mkdir -p "$project/src/fonts" "$project/src/img"

cat >"$project/package.json" <<EOF
{
  "name": "asset-build-vite-fixture",
  "private": true,
  "type": "module",
  "devDependencies": { "vite": "$vite_version" }
}
EOF

cat >"$project/vite.config.js" <<'EOF'
import { defineConfig } from 'vite'

export default defineConfig({
  // The app serves its assets under /static/, as asset-build's default.
  base: '/static/',
  build: {
    manifest: true,
    outDir: 'dist',
    emptyOutDir: true,
    // Every asset becomes a file, however small.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: { main: 'src/main.js', admin: 'src/admin.js' },
    },
  },
})
EOF

cat >"$project/src/shared.js" <<'EOF'
export function greet(name) {
  return `hello, ${name}`
}
EOF

cat >"$project/src/lazy.js" <<'EOF'
export const later = 'loaded on demand'
EOF

cat >"$project/src/main.js" <<'EOF'
import './style.css'
import { greet } from './shared.js'
import logo from './img/logo.svg'

document.querySelector('#app').textContent = greet('main')
document.querySelector('#logo').src = logo
document.querySelector('#more').addEventListener('click', async () => {
  const { later } = await import('./lazy.js')
  document.querySelector('#app').textContent = later
})
EOF

cat >"$project/src/admin.js" <<'EOF'
import './admin.css'
import { greet } from './shared.js'

document.querySelector('#app').textContent = greet('admin')
EOF

cat >"$project/src/style.css" <<'EOF'
@font-face {
  font-family: "Fixture";
  src: url("./fonts/fixture.woff2") format("woff2");
}
body {
  font-family: "Fixture", sans-serif;
  background: url(./img/pattern.png) repeat;
}
EOF

cat >"$project/src/admin.css" <<'EOF'
.admin {
  background-image: url("./img/logo.svg");
}
EOF

cat >"$project/src/img/logo.svg" <<'EOF'
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="teal"/></svg>
EOF

# Binary files: a PNG signature and a woff2 signature followed by fixed
# bytes (their content only has to be stable).
printf '\x89PNG\r\n\x1a\n' >"$project/src/img/pattern.png"
head -c 600 /dev/zero | tr '\0' 'p' >>"$project/src/img/pattern.png"
printf 'wOF2' >"$project/src/fonts/fixture.woff2"
head -c 900 /dev/zero | tr '\0' 'f' >>"$project/src/fonts/fixture.woff2"

# The same project built with `build.chunkImportMap`: chunks import each
# other through stable specifiers, mapped by dist-chunkmap/importmap.json.
# It is built twice, the second time with the shared chunk changed, so
# that the tests can check that only that chunk is renamed.
cat >"$project/vite.chunkmap.config.js" <<'EOF2'
import config from './vite.config.js'

export default { ...config, build: { ...config.build, chunkImportMap: true } }
EOF2

cd "$project"
npm install --no-audit --no-fund --loglevel=error >/dev/null
npx --no-install vite build --logLevel warn
npx --no-install vite build --logLevel warn --config vite.chunkmap.config.js --outDir dist-chunkmap
cp src/shared.js src/shared.js.orig
sed -i.bak "s/hello, /hi, /" src/shared.js && rm -f src/shared.js.bak
npx --no-install vite build --logLevel warn --config vite.chunkmap.config.js --outDir dist-chunkmap-edited
mv src/shared.js.orig src/shared.js
echo "Vite output: $project/dist, $project/dist-chunkmap and $project/dist-chunkmap-edited"
