"""Perl files the LemonLDAP::NG peer writes into its temporary folder (generated, own code).

Kept apart from :mod:`sdet_check.demo.llng` so that the Python module reads as Python. The
two custom modules are LemonLDAP::NG's documented extension points ``customAuth`` and
``customUserDB``: they read the demo accounts (password and attributes) from a JSON file
named by the environment variable ``SDET_LLNG_USERS``.
"""

from __future__ import annotations

AUTH_MODULE = "SdetDemo::Auth"
"""Package name of the authentication module (``customAuth``)."""

USERDB_MODULE = "SdetDemo::UserDB"
"""Package name of the user database module (``customUserDB``)."""

USERS_MODULE_PM = r"""package SdetDemo::Users;
# Demo accounts of sdet-check: {login: {password, attributes}} from $ENV{SDET_LLNG_USERS}.
use strict;
use JSON::PP ();

my $cache;

sub all {
    return $cache if $cache;
    my $file = $ENV{SDET_LLNG_USERS} or die "SDET_LLNG_USERS is not set";
    open( my $in, '<:raw', $file ) or die "cannot read $file: $!";
    local $/;
    my $text = <$in>;
    close $in;
    # Not ->utf8: values stay UTF-8 byte strings, as Net::LDAP hands them to the portal.
    $cache = JSON::PP->new->decode($text);
    return $cache;
}

1;
"""

AUTH_PM = r"""package SdetDemo::Auth;
# Login form checked against the demo accounts (constant-time comparison).
use strict;
use Mouse;
use Lemonldap::NG::Portal::Main::Constants qw(PE_OK PE_BADCREDENTIALS);
use SdetDemo::Users;

extends 'Lemonldap::NG::Portal::Auth::_WebForm';

sub authenticate {
    my ( $self, $req ) = @_;
    my $account = SdetDemo::Users::all()->{ $req->{user} // '' };
    my $given   = $req->data->{password} // '';
    my $wanted  = $account ? $account->{password} : "\0" . $given;
    my $diff    = length($given) ^ length($wanted);
    my @g       = unpack( 'C*', $given );
    my @w       = unpack( 'C*', $wanted );
    $diff |= ( $g[$_] // 0 ) ^ ( $w[$_] // 0 ) for 0 .. $#w;
    unless ( $account and $diff == 0 ) {
        $self->userLogger->warn("Bad password for $req->{user}");
        $self->setSecurity($req);
        return PE_BADCREDENTIALS;
    }
    return PE_OK;
}

sub authLogout { return PE_OK }

sub getDisplayType { return 'standardform' }

1;
"""

USERDB_PM = r"""package SdetDemo::UserDB;
# Session attributes of the demo accounts; multi-valued ones joined by multiValuesSeparator.
use strict;
use Mouse;
use Lemonldap::NG::Portal::Main::Constants qw(PE_OK PE_BADCREDENTIALS);
use SdetDemo::Users;

extends 'Lemonldap::NG::Common::Module';

sub init { return 1 }

sub getUser {
    my ( $self, $req, %args ) = @_;
    return PE_OK if SdetDemo::Users::all()->{ $req->{user} // '' };
    eval { $self->p->_authentication->setSecurity($req) };
    return PE_BADCREDENTIALS;
}

sub findUser { return PE_OK }

sub setSessionInfo {
    my ( $self, $req ) = @_;
    my $account = SdetDemo::Users::all()->{ $req->{user} } or return PE_BADCREDENTIALS;
    my $separator = $self->conf->{multiValuesSeparator} // ';';
    my $attributes = $account->{attributes};
    for my $name ( keys %$attributes ) {
        my $value = $attributes->{$name};
        $req->{sessionInfo}->{$name} =
          ref($value) eq 'ARRAY' ? join( $separator, @$value ) : $value;
    }
    return PE_OK;
}

sub setGroups { return PE_OK }

1;
"""

CAPTCHA_MODULE = "SdetDemo::NoCaptcha"
"""Package name of the captcha module (``captcha``): none is shown, so none is needed."""

CAPTCHA_PM = r"""package SdetDemo::NoCaptcha;
# The portal loads a captcha module at start even when no captcha is enabled; the default
# one needs GD (libgd-securityimage-perl). The demo enables none: this one does nothing.
use strict;
use Mouse;

extends 'Lemonldap::NG::Common::Module';

sub init { return 1 }

sub init_captcha { return }

sub check_captcha { return 0 }

1;
"""

APP_PSGI = r"""# The LemonLDAP::NG portal and its static files (sdet-check demo peer, generated).
use strict;
use Plack::Builder;
use Plack::App::File;
use Lemonldap::NG::Portal::Main;

my $portal = Lemonldap::NG::Portal::Main->run( {} );
builder {
    mount '/static' =>
      Plack::App::File->new( root => '/usr/share/lemonldap-ng/portal/htdocs/static' )
      ->to_app;
    mount '/' => $portal;
};
"""

GUARD_PL = r"""# Run the command given in arguments; stop it when standard input closes (generated).
# The Python side holds the other end of stdin: if it dies, Starman does not outlive it.
use strict;
use warnings;

my $child = fork() // die "fork: $!";
if ( $child == 0 ) {
    open( STDIN, '<', '/dev/null' ) or die "stdin: $!";
    exec(@ARGV) or die "exec $ARGV[0]: $!";
}
sub finish {
    kill 'TERM', $child;
    waitpid( $child, 0 );
    exit 0;
}
$SIG{TERM} = \&finish;
1 while sysread( STDIN, my $buffer, 4096 );
finish();
"""
