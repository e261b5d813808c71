import { useEffect, useState } from 'react';
import { parseRoute, type Route } from './routes';

export { href, parseRoute, type Route } from './routes';

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      // The dashboard's address opened again in this tab changes only the fragment: its #token=… (or
      // #code=…) signs the tab in (again, or afresh after a refused token) as a fresh load does, and
      // that load takes it off the address bar and the history.
      if (/^#(token|code)=/.test(window.location.hash)) {
        window.location.reload();
        return;
      }
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
