module.exports = async function stopPgliteFarm() {
  const child = globalThis.__AUTHKIT_PGLITE_FARM__;
  if (!child) return;
  child.stdin.end();
  await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
};
