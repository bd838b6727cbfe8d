// 'packet-lab/net': raw sockets, live capture, routes, privileges and the
// engines (ping, traceroute, TCP probe, TCP session, HTTP GET) built on them.
// Importing this loads nothing native yet: raw-socket and cap are required on
// first use, so a machine without cap's build can still use the sockets.
// Helpers exported only for the repository's own tests are left out.

export * from './net/raw-socket.ts';
export * from './net/capture.ts';
export * from './net/routes.ts';
export * from './net/privileges.ts';
export * from './net/ipv4-sender.ts';
export {
  RAW_SOCKET_MARK,
  type FirewallBackend,
  type KernelRstBlockSpec,
  type InstallOptions,
  FirewallError,
  KernelRstBlock,
  type StaleKernelRstBlock,
  findStaleKernelRstBlocks,
  removeStaleKernelRstBlocks,
  sweepStaleKernelRstBlocks,
} from './net/firewall.ts';

export * from './engine/ping.ts';
export * from './engine/traceroute.ts';
export * from './engine/tcp-probe.ts';
export {
  type TcpState,
  type TcpSessionOptions,
  type TcpEndpoints,
  type ReceiveVerdict,
  type TcpSessionEvent,
  type TcpCloseReason,
  type TcpSessionStats,
  type TcpSessionResult,
  TcpConnectError,
  TcpSession,
} from './engine/tcp-session.ts';
export * from './engine/http-get.ts';
