import { SearchIcon } from '../_components/icons';
import { ToolGrid } from '../_components/tools';
import { PageContainer } from '../_components/ui';

export default function HomePage() {
  return (
    <>
      <section className="border-b border-line bg-gradient-to-b from-accent-soft to-bg">
        <PageContainer className="py-12 sm:py-16">
          <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">How can we help?</h1>
          <p className="mt-2 max-w-2xl text-muted">
            Search answers about passkeys, authenticator apps, verification codes and getting back into your account.
          </p>
          <form action="/search" method="get" role="search" className="mt-6 flex max-w-2xl gap-2">
            <label htmlFor="home-search" className="sr-only">
              Search the help center
            </label>
            <div className="relative flex-1">
              <SearchIcon className="pointer-events-none absolute left-3 top-1/2 h-5 w-5 -translate-y-1/2 text-muted" />
              <input
                id="home-search"
                name="q"
                type="search"
                required
                maxLength={200}
                placeholder="Try “passkey”, “SMS code” or “50162”"
                className="block min-h-12 w-full rounded-xl border border-line bg-surface pl-10 pr-3 text-base shadow-sm"
              />
            </div>
            <button type="submit" className="min-h-12 rounded-xl bg-accent px-5 font-semibold text-on-accent hover:bg-accent-hover">
              Search
            </button>
          </form>
        </PageContainer>
      </section>
      <PageContainer className="py-10">
        <h2 className="mb-4 text-xl font-bold">Self-service tools</h2>
        <ToolGrid />
      </PageContainer>
    </>
  );
}
