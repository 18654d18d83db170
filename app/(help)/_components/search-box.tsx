'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState } from 'react';
import { SearchIcon } from '../../_components/icons';

type Suggestion = { slug: string; url: string; title: string; category: string };

/**
 * Search with type-ahead (WAI-ARIA combobox with a listbox popup). Without JavaScript it is a
 * plain GET form to /search. Suggestion titles are markup produced and escaped by the server
 * (segmentsToHtml), so they are safe to insert.
 */
export function SearchBox({ defaultValue = '', size = 'large', autoFocus = false }: { defaultValue?: string; size?: 'large' | 'compact'; autoFocus?: boolean }) {
  const router = useRouter();
  const id = useId();
  const listId = `${id}-suggestions`;
  const [value, setValue] = useState(defaultValue);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState('');
  const controller = useRef<AbortController | null>(null);

  useEffect(() => {
    const query = value.trim();
    if (query.length < 2) {
      setSuggestions([]);
      setStatus('');
      return;
    }
    const timer = setTimeout(async () => {
      controller.current?.abort();
      controller.current = new AbortController();
      try {
        const response = await fetch(`/api/search/suggest?q=${encodeURIComponent(query)}`, { signal: controller.current.signal });
        if (!response.ok) return;
        const body = (await response.json()) as { suggestions: Suggestion[] };
        setSuggestions(body.suggestions);
        setActive(-1);
        setStatus(body.suggestions.length ? `${body.suggestions.length} suggestions available. Use the up and down arrows to choose.` : 'No suggestions.');
      } catch {
        // Aborted by a newer keystroke or offline: the form still works.
      }
    }, 120);
    return () => clearTimeout(timer);
  }, [value]);

  const expanded = open && suggestions.length > 0;

  function onKeyDown(event: React.KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' && suggestions.length) {
      event.preventDefault();
      setOpen(true);
      setActive((i) => (i + 1) % suggestions.length);
    } else if (event.key === 'ArrowUp' && suggestions.length) {
      event.preventDefault();
      setOpen(true);
      setActive((i) => (i <= 0 ? suggestions.length - 1 : i - 1));
    } else if (event.key === 'Escape' && expanded) {
      // The first Escape only closes the list; without this a search input also clears its text.
      event.preventDefault();
      setOpen(false);
      setActive(-1);
    } else if (event.key === 'Enter' && expanded && active >= 0) {
      event.preventDefault();
      router.push(suggestions[active]!.url);
    }
  }

  const large = size === 'large';
  return (
    <form action="/search" method="get" role="search" className="relative flex w-full max-w-2xl gap-2" onSubmit={() => setOpen(false)}>
      <label htmlFor={`${id}-input`} className="sr-only">
        Search the help center
      </label>
      <div className="relative flex-1">
        <SearchIcon className="pointer-events-none absolute left-3 top-1/2 h-5 w-5 -translate-y-1/2 text-muted" />
        <input
          id={`${id}-input`}
          name="q"
          type="search"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
          autoComplete="off"
          autoFocus={autoFocus}
          maxLength={200}
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
          placeholder="Try “passkey”, “SMS code” or “50162”"
          className={`block w-full rounded-xl border border-line bg-surface pl-10 pr-3 text-base shadow-sm ${large ? 'min-h-12' : 'min-h-11'}`}
        />
        <ul
          id={listId}
          role="listbox"
          aria-label="Suggested articles"
          hidden={!expanded}
          className="absolute left-0 right-0 top-full z-30 mt-1 overflow-hidden rounded-xl border border-line bg-surface py-1 shadow-lg"
        >
          {suggestions.map((s, i) => (
            <li
              key={s.slug}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`cursor-pointer px-3 py-2.5 text-sm ${i === active ? 'bg-accent-soft' : 'hover:bg-surface-muted'}`}
              onMouseDown={(e) => {
                e.preventDefault();
                router.push(s.url);
              }}
            >
              <span dangerouslySetInnerHTML={{ __html: s.title }} />
            </li>
          ))}
        </ul>
        <p className="sr-only" aria-live="polite">
          {open ? status : ''}
        </p>
      </div>
      <button type="submit" className={`rounded-xl bg-accent px-5 font-semibold text-on-accent hover:bg-accent-hover ${large ? 'min-h-12' : 'min-h-11'}`}>
        Search
      </button>
    </form>
  );
}
