// Withdrawal: nothing of hers stays on this phone. Clear-Site-Data does this in browsers that support it;
// this does it everywhere else (and is harmless where the header already did).
export async function forgetDevice() {
  const work = [];
  if (window.caches) work.push(caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))));
  if (window.indexedDB) {
    work.push(new Promise((resolve) => {
      const request = indexedDB.deleteDatabase("pusterum");
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    }));
  }
  if (navigator.serviceWorker) {
    work.push(navigator.serviceWorker.getRegistrations().then((regs) => Promise.all(regs.map(async (reg) => {
      const sub = reg.pushManager ? await reg.pushManager.getSubscription().catch(() => null) : null;
      if (sub) await sub.unsubscribe().catch(() => {});
      return reg.unregister();
    }))));
  }
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be disabled */ }
  await Promise.allSettled(work);
}
