import twilio from 'twilio';
import { DeliveryError, type DeliveryChannel } from './types';

/**
 * SMS (Messages API) and voice (Calls API) through the official Twilio client. Twilio's shapes stop
 * here: callers get a provider id or a DeliveryError.
 */
export type PhoneSender = {
  sendSms(message: { to: string; body: string; statusCallback: string }): Promise<{ providerId: string }>;
  startCall(call: { to: string; twiml: string; statusCallback: string }): Promise<{ providerId: string }>;
};

export type TwilioSettings = { accountSid: string; authToken: string; from: string; apiBaseUrl?: string | undefined };

export function createTwilioSender(settings: TwilioSettings & { timeoutMs: number }): PhoneSender {
  const client = twilio(settings.accountSid, settings.authToken, {
    // Socket and request timeout of the client's HTTP layer; Twilio's default is 30 s.
    timeout: settings.timeoutMs,
    // "debug" would print request bodies, one-time codes included (docs/security.md rule 1).
    logLevel: 'info',
    autoRetry: false,
    ...(settings.apiBaseUrl ? { httpClient: new RedirectingRequestClient(settings.apiBaseUrl, settings.timeoutMs) } : {}),
  });

  return {
    async sendSms({ to, body, statusCallback }) {
      try {
        const message = await client.messages.create({ to, from: settings.from, body, statusCallback });
        return { providerId: message.sid };
      } catch (error) {
        throw toDeliveryError('sms', error);
      }
    },
    async startCall({ to, twiml, statusCallback }) {
      try {
        const call = await client.calls.create({ to, from: settings.from, twiml, statusCallback, statusCallbackMethod: 'POST' });
        return { providerId: call.sid };
      } catch (error) {
        throw toDeliveryError('voice', error);
      }
    },
  };
}

type RequestOptions<TData> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData };

/**
 * The Twilio client has no base-URL option. This HTTP client sends every request to `apiBaseUrl`
 * instead (same path and query), which is how tests and local runs point the real client at a
 * Twilio-compatible server on loopback.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  private readonly target: URL;

  constructor(apiBaseUrl: string, timeoutMs: number) {
    super({ timeout: timeoutMs, keepAlive: false });
    this.target = new URL(apiBaseUrl);
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    uri.protocol = this.target.protocol;
    uri.host = this.target.host; // host name and port
    const prefix = this.target.pathname.replace(/\/$/, '');
    if (prefix) uri.pathname = `${prefix}${uri.pathname}`;
    return super.request({ ...opts, uri: uri.toString() });
  }
}

/**
 * Twilio errors that mean "this number cannot get this message", as opposed to our account or
 * Twilio having a problem. https://www.twilio.com/docs/api/errors
 */
const INVALID_DESTINATION = new Set([
  13223, // Dial: invalid phone number format
  13224, // Dial: invalid phone number
  21211, // invalid 'To' phone number
  21214, // 'To' phone number cannot be reached
  21215, // geo permissions do not allow calls to this number
  21216, // number is on Twilio's block list
  21217, // phone number does not appear to be valid
  21401, // invalid phone number
  21407, // number type does not support SMS
  21408, // SMS to this region is not enabled
  21421, // phone number is invalid
  21610, // recipient replied STOP
  21612, // 'To' number not reachable by SMS
  21614, // 'To' number is not a mobile number
]);

function toDeliveryError(channel: DeliveryChannel, error: unknown): DeliveryError {
  const e = (error ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  if (typeof e.status === 'number') {
    // A Twilio API error (RestException). Its message often quotes the number; keep only codes.
    const code = typeof e.code === 'number' ? e.code : undefined;
    const detail = `twilio HTTP ${e.status}${code ? ` error ${code}` : ''}`;
    const failure = code !== undefined && INVALID_DESTINATION.has(code) ? 'invalid_destination' : 'provider_error';
    return new DeliveryError(channel, failure, detail, error);
  }
  // Transport errors from the client's HTTP layer (axios): ECONNABORTED / ETIMEDOUT on timeout.
  const code = typeof e.code === 'string' ? e.code : undefined;
  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || (typeof e.message === 'string' && /timeout/i.test(e.message));
  return new DeliveryError(channel, timedOut ? 'timeout' : 'provider_error', `twilio ${code ?? 'request failed'}`, error);
}
