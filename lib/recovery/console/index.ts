/**
 * The agent console's use cases (docs/product.md D): the queue, the ticket review, working and deciding a
 * ticket with four-eyes approvals, and opening documents. Who may do what is decided in one place,
 * lib/access (applied and audited by ./access.ts); every use case here asks it first.
 */
export { authorizeTicket } from './access';
export {
  OPEN_STATUSES,
  awaitingSecondApproval,
  loadActingAgent,
  mayAccess,
  requireActingAgent,
  type ActingAgent,
  type AuthorizedTicket,
  type ConsoleAgentRef,
  type ConsoleRole,
  type TicketAccessFacts,
  type TicketNeed,
} from '@/lib/access';
export {
  QUEUE_ASSIGNEES,
  QUEUE_PAGE_MAX,
  QUEUE_SORTS,
  listQueue,
  parseQueueQuery,
  queueQuery,
  type QueueAssignee,
  type QueueFilters,
  type QueueItem,
  type QueuePage,
  type QueueSort,
} from './queue';
export { ACTIVITY_WINDOW_DAYS, getTicketForAgent, listAssignableAgents, type AccountSummary, type ActivitySignal, type FaceMatchView, type TicketReview } from './review';
export { addInternalNote, assignTicket, claimTicket, requestInfo, scheduleVideoCall, type ConsoleRequest } from './work';
export { SEARCH_LIMIT, searchTickets, ticketPreviews, type TicketPreview, type TicketSearch } from './search';
export { REJECTION_REASONS, approveTicket, confirmApproval, rejectTicket, type ApprovalOutcome, type DecisionDeps, type RejectionReason } from './decisions';
export { openDocumentForAgent, openFaceCropForAgent, type AgentDocument } from './documents';
export { listTicketMessages, TICKET_MESSAGE_LABEL, type TicketMessage } from './messages';
export { watermarkImage } from './watermark';
