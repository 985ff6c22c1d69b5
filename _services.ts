/**
 * The services and protocols databases (`/etc/services`, `/etc/protocols`),
 * shared by `getaddrinfo` (a service name such as `"http"`) and by
 * `getservbyname`, `getservbyport` and `getprotobyname`. A system file is
 * read when Deno may read it; otherwise (or when it is missing) a built-in
 * table of the well-known entries answers, so that the common names work
 * without `--allow-read`, as they do on any ordinary system for CPython.
 *
 * This module imports nothing of the library's, so that both `inet.ts` and
 * `_netdb.ts` can use it without a circle.
 *
 * @module
 */

/** The services file the C library reads. */
export const SERVICES = "/etc/services";
/** The protocols file the C library reads. */
export const PROTOCOLS = "/etc/protocols";

/** One line of the services database: `name port/proto aliases...`. */
export interface Service {
  name: string;
  port: number;
  proto: string;
  aliases: string[];
}

// The well-known entries of the IANA registry (as the system files name
// them), for when the system's files cannot be read.
const BUILTIN_SERVICES =
  "tcpmux 1/tcp;echo 7/tcp;echo 7/udp;discard 9/tcp sink null;discard 9/udp sink null;" +
  "daytime 13/tcp;daytime 13/udp;chargen 19/tcp ttytst source;chargen 19/udp ttytst source;" +
  "ftp-data 20/tcp;ftp 21/tcp;fsp 21/udp fspd;ssh 22/tcp;telnet 23/tcp;smtp 25/tcp mail;" +
  "time 37/tcp timserver;time 37/udp timserver;whois 43/tcp nicname;domain 53/tcp;" +
  "domain 53/udp;bootps 67/udp;bootpc 68/udp;tftp 69/udp;gopher 70/tcp;finger 79/tcp;" +
  "http 80/tcp www;kerberos 88/tcp kerberos5 krb5 kerberos-sec;" +
  "kerberos 88/udp kerberos5 krb5 kerberos-sec;pop3 110/tcp pop-3;sunrpc 111/tcp portmapper;" +
  "sunrpc 111/udp portmapper;auth 113/tcp authentication tap ident;nntp 119/tcp readnews untp;" +
  "ntp 123/udp;netbios-ns 137/udp;netbios-dgm 138/udp;netbios-ssn 139/tcp;imap2 143/tcp imap;" +
  "snmp 161/tcp;snmp 161/udp;snmp-trap 162/tcp snmptrap;snmp-trap 162/udp snmptrap;" +
  "bgp 179/tcp;ldap 389/tcp;ldap 389/udp;https 443/tcp;https 443/udp;microsoft-ds 445/tcp;" +
  "submissions 465/tcp ssmtp smtps urd;shell 514/tcp cmd syslog;syslog 514/udp;printer 515/tcp spooler;" +
  "submission 587/tcp;ldaps 636/tcp;ldaps 636/udp;rsync 873/tcp;imaps 993/tcp;pop3s 995/tcp;" +
  "openvpn 1194/tcp;openvpn 1194/udp;ms-sql-s 1433/tcp;mysql 3306/tcp;" +
  "postgresql 5432/tcp postgres;amqp 5672/tcp;x11 6000/tcp x11-0;http-alt 8080/tcp webcache";

const BUILTIN_PROTOCOLS =
  "ip 0 IP;hopopt 0 HOPOPT;icmp 1 ICMP;igmp 2 IGMP;ggp 3 GGP;ipencap 4 IP-ENCAP;st 5 ST;" +
  "tcp 6 TCP;egp 8 EGP;igp 9 IGP;pup 12 PUP;udp 17 UDP;hmp 20 HMP;xns-idp 22 XNS-IDP;" +
  "rdp 27 RDP;iso-tp4 29 ISO-TP4;dccp 33 DCCP;xtp 36 XTP;ddp 37 DDP;ipv6 41 IPv6;" +
  "ipv6-route 43 IPv6-Route;ipv6-frag 44 IPv6-Frag;idrp 45 IDRP;rsvp 46 RSVP;gre 47 GRE;" +
  "esp 50 IPSEC-ESP;ah 51 IPSEC-AH;ipv6-icmp 58 IPv6-ICMP;ipv6-nonxt 59 IPv6-NoNxt;" +
  "ipv6-opts 60 IPv6-Opts;eigrp 88 EIGRP;ospf 89 OSPFIGP;ipip 94 IPIP;pim 103 PIM;" +
  "vrrp 112 VRRP;l2tp 115 L2TP;isis 124 ISIS;sctp 132 SCTP;udplite 136 UDPLite;" +
  "mpls-in-ip 137 MPLS-in-IP;ethernet 143 Ethernet";

/** Lines of a system file (comments dropped) when readable, else the built-in table. */
function table(path: string, builtin: string): string[][] {
  let text: string | null = null;
  try {
    // Asking first: reading without the grant would prompt on a terminal.
    if (Deno.permissions.querySync({ name: "read", path }).state === "granted") {
      text = Deno.readTextFileSync(path);
    }
  } catch {
    text = null; // unreadable: the built-in table
  }
  const lines = text === null ? builtin.split(";") : text.split("\n");
  return lines.map((line) => line.replace(/#.*/, "").trim().split(/\s+/))
    .filter((fields) => fields.length >= 2 && fields[0] !== "");
}

/** The services database, in file order (the C library returns the first match). */
export function services(): Service[] {
  const out: Service[] = [];
  for (const [name, where, ...aliases] of table(SERVICES, BUILTIN_SERVICES)) {
    const match = /^(\d+)\/(\w+)$/.exec(where);
    if (match) out.push({ name, port: Number(match[1]), proto: match[2], aliases });
  }
  return out;
}

/** The first service a name (or alias, case-sensitive) names, for `proto` if given. */
export function serviceByName(name: string, proto?: string): Service | undefined {
  return services().find((s) =>
    (s.name === name || s.aliases.includes(name)) && (proto === undefined || s.proto === proto)
  );
}

/** The first service on a port, for `proto` if given. */
export function serviceByPort(port: number, proto?: string): Service | undefined {
  return services().find((s) => s.port === port && (proto === undefined || s.proto === proto));
}

/** The protocol number of a name (or alias, case-sensitive), or `undefined`. */
export function protocolByName(name: string): number | undefined {
  for (const [official, number, ...aliases] of table(PROTOCOLS, BUILTIN_PROTOCOLS)) {
    if ((official === name || aliases.includes(name)) && /^\d+$/.test(number)) {
      return Number(number);
    }
  }
  return undefined;
}

/** A service's TCP and UDP ports, as `getaddrinfo` needs them (one read of the table). */
export function servicePorts(name: string): { tcp?: number; udp?: number } {
  const found: { tcp?: number; udp?: number } = {};
  for (const s of services()) {
    if (s.name !== name && !s.aliases.includes(name)) continue;
    if (s.proto === "tcp" || s.proto === "udp") found[s.proto] ??= s.port;
  }
  return found;
}
