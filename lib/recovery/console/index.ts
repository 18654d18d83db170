/**
 * The agent console's use cases (issue 7): the queue, the ticket review, working and deciding a
 * ticket with four-eyes approvals, and opening documents. Who may do what is decided in one place,
 * ./access.ts; every use case here asks it first.
 */
export {
  OPEN_STATUSES,
  authorizeTicket,
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
} from './access';
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
export { REJECTION_REASONS, approveTicket, confirmApproval, rejectTicket, type ApprovalOutcome, type DecisionDeps, type RejectionReason } from './decisions';
export { openDocumentForAgent, openFaceCropForAgent, type AgentDocument } from './documents';
export { watermarkImage } from './watermark';
