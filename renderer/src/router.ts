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
      // #code=…) is not a route, and must not stay in the address bar or the history.
      if (/^#(token|code)=/.test(window.location.hash)) window.history.replaceState(null, '', window.location.pathname + window.location.search);
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
