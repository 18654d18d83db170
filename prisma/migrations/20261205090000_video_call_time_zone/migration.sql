-- Video calls people can keep: the person's time zone for the emails, and why a call was cancelled.
ALTER TABLE "RecoveryTicket" ADD COLUMN "timeZone" TEXT;
ALTER TABLE "VideoAppointment" ADD COLUMN "cancelReason" TEXT;
