import Link from 'next/link';
import { AlertIcon, CheckIcon, InfoIcon } from './icons';

// A small set of accessible building blocks. Targets are at least 44 px tall (WCAG 2.5.8 asks 24).

type ButtonVariant = 'primary' | 'secondary' | 'ghost';

const buttonBase =
  'inline-flex min-h-11 items-center justify-center gap-2 rounded-lg px-4 text-sm font-semibold transition-colors disabled:cursor-not-allowed disabled:opacity-60';
const buttonVariants: Record<ButtonVariant, string> = {
  primary: 'bg-accent text-on-accent hover:bg-accent-hover',
  secondary: 'border border-line bg-surface text-fg hover:bg-surface-muted',
  ghost: 'text-accent hover:bg-accent-soft',
};

export function buttonClass(variant: ButtonVariant = 'primary', extra = '') {
  return `${buttonBase} ${buttonVariants[variant]} ${extra}`.trim();
}

export function Button({
  variant = 'primary',
  className = '',
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant }) {
  return <button type="button" className={buttonClass(variant, className)} {...props} />;
}

export function ButtonLink({
  href,
  variant = 'primary',
  className = '',
  children,
}: {
  href: string;
  variant?: ButtonVariant;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <Link href={href} className={buttonClass(variant, className)}>
      {children}
    </Link>
  );
}

export function Card({ className = '', children, ...props }: React.HTMLAttributes<HTMLDivElement>) {
  return (
    <div className={`rounded-xl border border-line bg-surface p-5 shadow-sm ${className}`} {...props}>
      {children}
    </div>
  );
}

type AlertTone = 'info' | 'success' | 'warning' | 'error';
const alertTones: Record<AlertTone, { box: string; Icon: typeof InfoIcon }> = {
  info: { box: 'border-accent/30 bg-accent-soft', Icon: InfoIcon },
  success: { box: 'border-success/30 bg-success-soft', Icon: CheckIcon },
  warning: { box: 'border-warning/30 bg-warning-soft', Icon: AlertIcon },
  error: { box: 'border-danger/30 bg-danger-soft', Icon: AlertIcon },
};

/** Errors and warnings interrupt (role=alert); info and success are announced politely. */
export function Alert({ tone = 'info', title, children }: { tone?: AlertTone; title?: string; children?: React.ReactNode }) {
  const { box, Icon } = alertTones[tone];
  return (
    <div role={tone === 'error' || tone === 'warning' ? 'alert' : 'status'} className={`flex gap-3 rounded-lg border p-4 text-sm ${box}`}>
      <Icon className="mt-0.5 h-5 w-5 shrink-0" />
      <div className="space-y-1">
        {title && <p className="font-semibold">{title}</p>}
        {children && <div className="text-fg/90">{children}</div>}
      </div>
    </div>
  );
}

export function TextField({
  id,
  label,
  hint,
  error,
  className = '',
  ...input
}: React.InputHTMLAttributes<HTMLInputElement> & { id: string; label: string; hint?: string; error?: string }) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={`space-y-1.5 ${className}`}>
      <label htmlFor={id} className="block text-sm font-semibold">
        {label}
      </label>
      {hint && (
        <p id={hintId} className="text-sm text-muted">
          {hint}
        </p>
      )}
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        className={`block min-h-11 w-full rounded-lg border bg-surface px-3 text-base text-fg placeholder:text-muted ${
          error ? 'border-danger' : 'border-line'
        }`}
        {...input}
      />
      {error && (
        <p id={errorId} className="flex items-center gap-1.5 text-sm font-medium text-danger">
          <AlertIcon className="h-4 w-4 shrink-0" />
          {error}
        </p>
      )}
    </div>
  );
}

/** One field for a one-time code (docs/security.md rule 21): autofill hint, numeric keypad, paste works. */
export function CodeInput(props: Omit<React.ComponentProps<typeof TextField>, 'type'> & { length?: number }) {
  const { length = 6, ...rest } = props;
  return (
    <TextField
      type="text"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern={`[0-9 ]{${length},${length + 2}}`}
      maxLength={length + 2}
      spellCheck={false}
      className="[&_input]:font-mono [&_input]:text-xl [&_input]:tracking-[0.4em]"
      {...rest}
    />
  );
}

/** An example recovery code with non-breaking hyphens (U+2011), so it never wraps at its dashes. */
export const RECOVERY_CODE_EXAMPLE = '7Q4M\u2011K9TX\u20112W';

/** A recovery code field (lib/recovery-codes): letters and digits in any case, dashes and spaces optional. */
export function RecoveryCodeInput(props: Omit<React.ComponentProps<typeof TextField>, 'type'>) {
  return (
    <TextField
      type="text"
      autoComplete="off"
      autoCapitalize="characters"
      autoCorrect="off"
      spellCheck={false}
      maxLength={40}
      className="[&_input]:font-mono [&_input]:tracking-wider"
      {...props}
    />
  );
}

export type TabItem = { href: string; label: string; count?: number; current: boolean };

/** Navigation tabs: links with aria-current, so they work without JavaScript and with a screen reader. */
export function Tabs({ label, items }: { label: string; items: TabItem[] }) {
  return (
    <nav aria-label={label} className="-mx-1 overflow-x-auto">
      <ul className="flex min-w-max gap-1 border-b border-line px-1">
        {items.map((item) => (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={item.current ? 'page' : undefined}
              className={`inline-flex min-h-11 items-center gap-2 border-b-2 px-3 text-sm font-semibold ${
                item.current ? 'border-accent text-accent' : 'border-transparent text-muted hover:text-fg'
              }`}
            >
              {item.label}
              {item.count !== undefined && (
                <span className="rounded-full bg-surface-muted px-2 py-0.5 text-xs font-medium text-muted">{item.count}</span>
              )}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function PageContainer({ className = '', children }: { className?: string; children: React.ReactNode }) {
  return <div className={`mx-auto w-full max-w-5xl px-4 sm:px-6 ${className}`}>{children}</div>;
}
