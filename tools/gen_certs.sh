#!/usr/bin/env bash
# Regenerates the test PKI in tests/certs/ (needs openssl 3). The tests read
# the committed files and never run openssl themselves.
#
#   ca.pem/ca.key                 "Socket Test CA", trusted by the tests
#   server.pem/server.key         CN=localhost, SAN localhost, 127.0.0.1, ::1 (signed by the CA)
#   server-chain.pem              server.pem followed by ca.pem
#   server-encrypted.key          server.key encrypted with the password "secret"
#   expired.pem/expired.key       as server, but valid only in 2000-2001
#   selfsigned.pem/selfsigned.key CN=localhost with the same SANs, signed by itself (CA:TRUE, as
#                                 openssl req -x509 makes them)
#   wrongname.pem/wrongname.key   CN=wrong.example, SAN wrong.example only (signed by the CA)
#   client.pem/client.key         CN=test client, clientAuth (signed by the CA)
#   dhparams.pem                  Diffie-Hellman parameters (for load_dh_params)
set -euo pipefail
cd "$(dirname "$0")/../tests/certs"
rm -rf ./*.pem ./*.key ./*.srl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
days=36500

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
  -subj "/C=US/O=Socket Tests/CN=Socket Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() { # name subject san eku [ca-signed startdate enddate]
  local name=$1 subject=$2 san=$3 eku=$4
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$work/$name.csr" -subj "$subject"
  cat >"$work/$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku
subjectAltName=$san
EXT
  openssl x509 -req -in "$work/$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days "$days" -extfile "$work/$name.ext" -out "$name.pem"
}

leaf server "/C=US/O=Socket Tests/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
leaf wrongname "/C=US/O=Socket Tests/CN=wrong.example" "DNS:wrong.example" serverAuth
leaf client "/C=US/O=Socket Tests/CN=test client" "email:client@example.com" clientAuth
cat server.pem ca.pem >server-chain.pem
openssl pkey -in server.key -aes256 -passout pass:secret -out server-encrypted.key

# Expired: openssl ca can set dates in the past; x509 -req cannot (before 3.4).
openssl req -newkey rsa:2048 -nodes -keyout expired.key -out "$work/expired.csr" \
  -subj "/C=US/O=Socket Tests/CN=localhost"
mkdir -p "$work/ca"
touch "$work/ca/index.txt"
echo 1000 >"$work/ca/serial"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $work/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leaf
[anything]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
CNF
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile ca.key -notext \
  -startdate 20000101000000Z -enddate 20010101000000Z -in "$work/expired.csr" \
  -out expired.pem -preserveDN

openssl req -x509 -newkey rsa:2048 -nodes -keyout selfsigned.key -out selfsigned.pem \
  -days "$days" -subj "/C=US/O=Socket Tests/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "extendedKeyUsage=serverAuth"
openssl dhparam -dsaparam -out dhparams.pem 2048
rm -f ca.srl
