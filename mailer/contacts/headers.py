"""Header cells -> column names: the known names of each contact column, in six languages.

Headers are compared without case, accents, spaces or punctuation ("E-mail Address" ->
"emailaddress", "Prénom" -> "prenom"). Any header not known here is kept as a custom column
under a safe identifier a template can use.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date

# Header variants, compared without case, accents, spaces or punctuation ("E-mail Address" ->
# "emailaddress", "Prénom" -> "prenom"): English, French, German, Spanish, Italian, Portuguese, Dutch.
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": (
        "email",
        "emailaddress",
        "mail",
        "mailaddress",
        "courriel",
        "adressecourriel",
        "adresseemail",
        "adressemail",
        "adresseelectronique",
        "courrierelectronique",
        "adressedecourriel",
        "mel",
        "emailadresse",
        "mailadresse",
        "correo",
        "correoelectronico",
        "direcciondecorreo",
        "direcciondecorreoelectronico",
        "direcciondeemail",
        "direccionemail",
        "correoe",
        "indirizzoemail",
        "postaelettronica",
        "indirizzodipostaelettronica",
        "correioeletronico",
        "correioelectronico",
        "enderecodeemail",
        "enderecoeletronico",
        # Dutch (newcomer 23 #2: a Flemish desk's list was refused, and once renamed its "Afgemeld" mailed)
        "emailadres",
        "mailadres",
        "elektronischpostadres",
    ),
    "first_name": (
        "firstname",
        "givenname",
        "first",
        "forename",
        "prenom",
        "vorname",
        "primernombre",
        "primeironome",
        "voornaam",
        "roepnaam",
    ),
    "last_name": (
        "lastname",
        "surname",
        "familyname",
        "last",
        "nomdefamille",
        "nachname",
        "familienname",
        "apellido",
        "apellidos",
        "cognome",
        "sobrenome",
        "apelido",
        "apelidos",
        "ultimonome",
        "achternaam",
        "familienaam",
    ),
    "name": (
        "name",
        "fullname",
        "contactname",
        "nomcomplet",
        "vollstandigername",
        "nombrecompleto",
        "nominativo",
        "nomecompleto",
        "volledigenaam",
        # One column for both, as a French, Dutch or German list heads it (newcomer 23 #11: "Nom et prénom" was a
        # column of the list's own, and every journalist was greeted without a name).
        *("nometprenom", "prenometnom", "nomprenom", "prenomnom", "nomsetprenoms", "naamenvoornaam", "voornaamennaam"),
        *("voornaamnaam", "naamvoornaam", "vorundnachname", "vornameundnachname", "vornamenachname", "namevorname"),
        *("nameundvorname", "nachnamevorname"),
    ),
    "outlet": (
        "outlet",
        "publication",
        "media",
        "organization",
        "organisation",
        "mediaoutlet",
        "medio",
        "medios",
        "zeitung",
        "medium",
        "redaktion",
        "publikation",
        "testata",
        "veiculo",
        "journal",
        "organizacion",
        "organizacao",
        "organizzazione",
        # Contact exports (newcomer 17b #5): Outlook's Company, Google's Organization 1 - Name
        # (its Google CSV) and Organization Name (since 2024).
        "company",
        "organizationname",
        "organization1name",
        # Outlook's Company in German, French, Spanish and Portuguese, Italian, Dutch (office 27: a German
        # office's Outlook export had no outlet, so the outlets report and {{ contact.outlet }} were empty).
        *("firma", "societe", "empresa", "societa", "bedrijf"),
        # Review 18h #5: Salesforce's Account Name, HubSpot's Company Name; a media database's Outlet Name, Outlets.
        "accountname",
        "companyname",
        "outletname",
        "outlets",
        "publications",
        "krant",
        "redactie",
        "publicatie",
    ),
    "title": (
        "title",
        "position",
        "role",
        "jobtitle",
        "titre",
        "fonction",
        "poste",
        "funktion",
        "cargo",
        "puesto",
        "ruolo",
        "qualifica",
        "functie",
        "functietitel",
        "organizationtitle",  # Google Contacts' job title (newcomer 17b)
        "organization1title",
    ),
    "beat": (
        "beat",
        "beats",
        "topic",
        "desk",
        "topics",
        "rubrique",
        "ressort",
        "seccion",
        "sezione",
        "secao",
        "editoria",
        "rubrica",
        "thema",
        "rubriek",
        "round",  # as Australian newsrooms say a beat, "the health round" (newcomer 25 #5)
        "rounds",
    ),
    "tags": (
        "tags",
        "tag",
        "etiquettes",
        "etiquette",
        "schlagworter",
        "etiquetas",
        "etichette",
        # Contact exports (review 18h #4): Google Contacts' Labels (Group Membership in its older
        # Google CSV), Outlook's Categories.
        "labels",
        "groupmembership",
        "categories",
        *("kategorien", "categorias", "categorie", "categorieen"),  # Outlook's Categories in German, ... (office 27)
        "trefwoorden",
    ),
    "country": ("country", "pays", "land", "pais", "paese", "nazione"),
    "language": ("language", "lang", "langue", "sprache", "idioma", "lingua", "lengua", "taal"),
}
# "Name" is the surname beside "Vorname", "Nom" beside "Prénom", "Naam" beside "Voornaam"; "Nome", "Nombre"
# are the first name beside "Cognome", "Apellidos". Alone, each is a full name.
_NAME_WORDS = ("name", "nom", "nome", "nombre", "naam")
# A media database's heading of the journalist's name: Cision's "Contact", written "Last, First" (office 27:
# kept as a column of the list's own, every journalist was greeted without a name). The name only
# in a list without a name, first-name or last-name column: beside them it is the list's own.
_CONTACT_WORDS = ("contact", "kontakt", "contacto", "contatto", "contato")
_EXPORT_OUTLETS = (
    *("company", "organizationname", "organization1name", "accountname", "companyname"),
    *("firma", "societe", "empresa", "societa", "bedrijf"),
)
# Plural headers read as the outlet, the beat or the tags (review 18h #4, #5) when the list has no singular one:
# beside "Outlet" and "Beat", "Outlets" and "Beats" are the list's own (review 18y #7: a list with
# both read "Outlets" as the outlet, "for your readers at Daily; Weekly", where "Outlet" said Daily News).
# So are a contact export's headings of its tags beside a Tags column (a list with "Categories",
# its media types, before "Tags": --tag Health chose by the categories).
_PLURALS = (
    "outlets",
    "publications",
    "beats",
    "labels",
    "groupmembership",
    "categories",
    "kategorien",
    "categorias",
    "categorie",
    "categorieen",
)
# Google Contacts heads the honorific (Dr., Ms.) "Name Prefix", in its CSV since 2024 and before
# (review 18h #3: it was a column of the list's own, and "Dear {{ contact.honorific }}" read "Dear ").
_HONORIFIC_HEADERS = ("nameprefix",)
_CANONICAL_BY_KEY = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
ACCEPTED_EMAIL_HEADERS = ("Email", "E-mail", "Email Address", "Mail")
# A CRM's column saying a contact asked not to be mailed (review 18h #6): HubSpot's "Unsubscribed
# from all email" (true / false), Salesforce's "Email Opt Out" (1 / 0; HasOptedOutOfEmail by its
# API name), and the plain words of a list kept by hand. Any cell but an empty one or a "no" says so.
OPT_OUT_HEADERS = (
    "unsubscribedfromallemail",
    "emailoptout",
    "hasoptedoutofemail",
    "optedoutofemail",
    "donotemail",
    "donotcontact",
    "donotmail",
    "unsubscribed",
    "optout",
    "optedout",
    "emailunsubscribed",
    "globalunsubscribe",
    # Review 18w #4: "Don't Email" (its apostrophe left aside: "dontemail") and "Email Opted Out"
    # were columns of the list's own, and the journalists they marked were mailed.
    "dontemail",
    "dontmail",
    "dontcontact",
    "emailoptedout",
    # The other five languages the list's columns are read in (newcomer 20 #1: a French list's
    # "Désabonné" was a column of the list's own, and the journalist its "oui" marked was mailed).
    *("desabonne", "desabonnee", "desinscrit", "desinscrite", "nepascontacter", "nepasenvoyer", "nepasecrire"),
    *("abgemeldet", "abbestellt", "nichtkontaktieren", "nichtanschreiben", "keinemail", "keineemail", "keinemails"),
    *("dadodebaja", "dadadebaja", "desuscrito", "desuscrita", "nocontactar", "noenviar", "noenviarcorreo"),
    *("disiscritto", "disiscritta", "noncontattare", "noninviare", "noninviareemail"),
    *("descadastrado", "descadastrada", "naocontactar", "naocontatar", "naoenviar", "naoenviaremail"),
    # ... and as the desks of a Belgian city write them, in French, Dutch and German (newcomer 23 #6: "Désinscrits",
    # "Ne plus envoyer", "Afmelden", "Ausgetragen", "Keine Zusendung" were columns of the list's own, and the
    # journalists their "oui" marked were mailed). Not "Opposition" nor "Refus" alone, which a city's list may
    # head otherwise (the council's opposition, a declined invitation).
    *("desinscrits", "desinscrites", "desabonnes", "desabonnees", "nepluscontacter", "neplusenvoyer", "neplusecrire"),
    *("neplusmailer", "neplusrecevoir", "nesouhaiteplusrecevoir", "neveutplusrecevoir", "retirerdelaliste"),
    *("aretirerdelaliste", "retiredelaliste", "retireedelaliste", "oppositionrgpd", "rgpdopposition", "droitdopposition"),
    *("refusdenvoi", "refusemail", "refusdemail", "refusdesmails", "refusdecontact", "plusdemails", "plusdenvoi"),
    *("afmelden", "uitschrijven", "nietmeermailen", "nietmeersturen", "nietmeercontacteren", "nietmeerverzenden"),
    *("ausgetragen", "austragen", "austragung", "abbestellung", "keinezusendung", "nichtmehrsenden", "nichtmehrkontaktieren"),
    *("nichtmehranschreiben", "keinversand", "versandsperre", "werbesperre"),
    # ... and Dutch, as a Belgian office's Flemish desk heads them (newcomer 23 #2: "Afgemeld: ja" was mailed).
    *("afgemeld", "uitgeschreven", "afmelding", "uitschrijving", "nietmailen", "nietcontacteren", "nietsturen"),
    *("nietverzenden", "geenmail", "geenemail", "geenmails", "geenemails", "geentoestemming", "toestemmingingetrokken"),
    *("afgemeldop", "afmeldingsdatum", "datumafmelding", "uitgeschrevenop", "uitschrijvingsdatum", "datumuitschrijving"),
    # A column dating the unsubscribe, or the consent taken back (review 20c #5: "Abgemeldet am: 2025-03-01",
    # "Unsubscribed on", "Consent withdrawn" were columns of the list's own, and she was mailed): a date
    # there is an opt-out. Not "Unsubscribe link" nor "Consent date", which every journalist has.
    *("unsubscribedon", "unsubscribedat", "unsubscribeddate", "unsubscribedate", "dateunsubscribed", "unsubscriptiondate"),
    *("optoutdate", "optedoutdate", "optedouton", "dateoptedout", "consentwithdrawn", "consentwithdrawnon"),
    *("consentwithdrawndate", "withdrawnconsent", "consentrevoked", "emailconsentwithdrawn"),
    *("desabonnele", "desabonneele", "datededesabonnement", "datedesabonnement", "consentementretire", "retraitduconsentement"),
    *("abgemeldetam", "abgemeldetseit", "abmeldedatum", "datumderabmeldung", "einwilligungwiderrufen", "einwilligungwiderrufenam"),
    *("widerrufenam", "fechadebaja", "dadodebajael", "consentimientoretirado", "consentimientorevocado"),
    *("datadidisiscrizione", "disiscrittoil", "consensorevocato", "consensoritirato"),
    *("datadedescadastro", "descadastradoem", "consentimentoretirado", "consentimentorevogado"),
    # Microsoft Dynamics 365's contact export: "Allow" or "Do Not Allow" (review 20c #8: the column
    # was the list's own, and the journalist it marked was mailed).
    *("donotallowbulkemails", "donotallowemails", "donotallowbulkemail", "donotallowemail"),
    # A column naming the refusal, as a colleague heads the x she marks it with (review 22 #6: "Do not send",
    # "No email", "DNC", "No consent", "Consent refused", "Keine Einwilligung", "Sans consentement" were columns
    # of the list's own, and the journalists they marked were mailed).
    *("donotsend", "dontsend", "noemail", "noemails", "nomail", "nomails", "nomailing", "dnc", "dne", "donotmailing"),
    *("noconsent", "consentrefused", "consentdeclined", "consentdenied", "refusedconsent", "declinedconsent"),
    *("keineeinwilligung", "einwilligungverweigert", "einwilligungabgelehnt", "nichteingewilligt", "keinewerbung"),
    *("sansconsentement", "consentementrefuse", "consentementrefusee", "refusduconsentement", "pasdeconsentement"),
    *("sinconsentimiento", "consentimientodenegado", "consentimientorechazado", "noconsiente"),
    *("nessunconsenso", "consensonegato", "consensorifiutato", "senzaconsenso"),
    *("semconsentimento", "consentimentorecusado", "consentimentonegado"),
    # A CRM's flag on a contact no email may go to (review 22b, left: "Suppressed: yes", "Blocked: true" were
    # columns of the list's own, and those journalists were mailed).
    *("suppressed", "emailsuppressed", "suppressedemail", "blocked", "emailblocked", "blockedemail"),
    # "No contact" as a German office's list heads it, and its neighbours' (office 27: "Kein Kontakt: ja",
    # "Kontaktsperre: x" were columns of the list's own, and the journalists they marked were mailed).
    *("nocontact", "keinkontakt", "keinekontaktaufnahme", "kontaktsperre", "emailsperre", "mailsperre", "sperrvermerk"),
    *("gesperrt", "emailgesperrt", "pasdecontact", "aucuncontact", "geencontact", "sincontacto", "nessuncontatto", "semcontato"),
)
# Why a journalist unsubscribed, written only for those who did (review 22 #9: "Unsubscribe reason",
# "Abmeldegrund", "Motif de désabonnement" were columns of the list's own, and they were mailed): a reason
# there opts the journalist out. Not a sign of who opted out in a file of unsubscribes, whose reasons may
# be blank (Mailchimp's UNSUB_REASON): `suppressions import` takes such a file whole.
OPT_OUT_REASONS = (
    *("unsubscribereason", "unsubscribedreason", "unsubreason", "optoutreason", "reasonforunsubscribing", "reasonforoptingout"),
    *("unsubscriptionreason", "abmeldegrund", "grundderabmeldung", "motifdedesabonnement", "motifdudesabonnement"),
    *("raisondudesabonnement", "motifdedesinscription", "motivodebaja", "motivodeladebaja", "motivodisiscrizione"),
    *("motivodadisiscrizione", "motivododescadastro", "redenafmelding", "afmeldreden", "redenvanafmelding"),
    *("consentwithdrawnreason", "reasonconsentwithdrawn", "withdrawalreason"),
)
NOT_OPTED_OUT = (
    *("", "false", "no", "n", "0", "off", "nein", "non", "falsch", "faux", "falso", "nao", "não", "-"),
    "allow",  # Dynamics 365's "Do not allow Emails": Allow / Do Not Allow (review 20c #8)
    # Excel writes a checkbox's FALSE in the language it runs in, and a colleague types "no" in hers
    # (review 18y #6: a Dutch office's "Email Opt Out" of ONWAAR turned every journalist away):
    # Dutch, Swedish, Danish, Norwegian, Finnish, Polish, Czech, Hungarian, Turkish.
    *("onwaar", "nee", "falskt", "falsk", "nej", "usann", "nei", "epätosi", "ei", "fałsz", "nie", "nepravda", "ne", "hamis", "nem"),
    *("yanlış", "hayır"),
    # Belgian Dutch says no as "neen" (newcomer 23 #1: a Liège list's "Désinscrit: neen", typed by a Flemish
    # colleague, turned the journalist away as opted out).
    "neen",
    # ... and as the cell is lower-cased to compare it: a dotless capital I becomes a dotted i, so
    # Excel's Turkish FALSE, YANLIŞ, reads "yanliş" and HAYIR "hayir" (review 18z #2: every
    # journalist of an Istanbul office's report was turned away as opted out).
    *("yanliş", "hayir"),
    # Russian, Ukrainian, Greek (its final sigma lower-cased as a medial one), Romanian and Catalan,
    # Estonian, Latvian, Lithuanian, Slovenian, Croatian (review 18z #11: a Moscow office's ЛОЖЬ
    # turned every journalist away as opted out, as ONWAAR did before review 18y #6).
    *("ложь", "нет", "хибність", "ні", "ψευδεσ", "ψευδες", "όχι", "οχι", "fals", "nu"),
    *("väär", "aplams", "nē", "netiesa", "nepravilno", "netočno"),
    # A checkbox column exported as its boxes, the empty one unticked (review 18w #2: every "☐"
    # journalist was turned away as opted out; "☑", "☒" still say so).
    *("☐", "□"),
)


# A list's column saying a journalist agreed to be mailed ("Opt-in", "Email Opt-in": yes / no), the
# other way round: a row whose cell says no in so many words did not opt in, and is not mailed (review
# 18z #7: "Opt-in: no" was a column of the list's own, and she was mailed). Nor is an empty one (SAYS_YES).
OPT_IN_HEADERS = (
    *("optin", "optedin", "emailoptin", "emailoptedin", "optinemail", "optedintoemail"),
    # A list kept for the GDPR records consent (newcomer 20 #6: "Email consent: no", a French office's
    # "Consentement: non", were columns of the list's own, and those journalists were mailed).
    *("consent", "emailconsent", "consenttoemail", "marketingconsent", "emailmarketingconsent"),
    *("consentement", "consentementemail", "einwilligung", "emaileinwilligung", "einwilligungemail"),
    *("consentimiento", "consentimientoemail", "consenso", "consensoemail", "consentimento", "consentimentoemail"),
    *("toestemming", "emailtoestemming", "toestemmingemail"),
    # "Accord" is consent only with what it is for (newcomer 23 #7: "Accord RGPD: non", "Akkoord AVG: nee" and
    # "Zustimmung: nein" were columns of the list's own, and those journalists were mailed): not "Accord" alone.
    *("accordrgpd", "rgpdaccord", "accordenvoi", "accordemail", "accordmail", "accordcommuniques", "accordenvoicommuniques"),
    *("accordpourenvoi", "accordpourrecevoir", "accordrecevoir", "accordcommuniquesdepresse", "accordenvoidecommuniques"),
    *("akkoordavg", "avgakkoord", "akkoordgdpr", "akkoordmail", "akkoordemail", "akkoordpersberichten", "zustimmung"),
)
# What an opt-in or consent column's cell says to be mailed: yes, true, a tick or 1, in the languages
# NOT_OPTED_OUT reads no in (Excel's TRUE among them), as lower-cased; or a date (CONSENT_DATE), the day
# consent was given. Anything else there is no consent (review 20c #1: "withdrawn", "refused", "?",
# "unknown" were mailed, as only a no kept a journalist out). An empty cell is no consent either
# (review 20c #4: silence is not consent, GDPR recital 32), but opts nobody out: only its row is kept out.
SAYS_YES = (
    *("yes", "y", "true", "1", "on", "allow", "x", "✓", "✔", "☑", "☒", "✅", "oui", "o", "vrai", "ja", "j", "wahr"),
    *("sí", "si", "s", "sì", "verdadero", "vero", "sim", "verdadeiro", "cierto"),
    *("opted in", "opt-in", "opted-in", "optin", "given", "granted", "agreed", "consented", "subscribed", "confirmed"),
    *("double opt-in", "double optin", "single opt-in", "confirmed opt-in"),
    # ... and in English as the other languages' were (review 22b #2: "Accepted", "Opt In" with a space, a CRM's
    # "Double opt in", "Consent given" turned the journalist away as giving no consent, "akzeptiert" and "Opt-In" not).
    *("accepted", "opt in", "double opt in", "single opt in", "confirmed opt in", "consent given"),
    # ... and "given", "granted", "agreed", "accepted" as a CRM writes them in the other five languages the
    # consent headers are read in, with and without their accents (newcomer 21 #1: a German CRM's
    # "Einwilligung: erteilt" turned every journalist away as giving no consent).
    *("erteilt", "gegeben", "zugestimmt", "einverstanden", "akzeptiert", "bestätigt", "bestatigt", "eingewilligt"),
    *("accordé", "accordée", "accorde", "accordee", "donné", "donnée", "donne", "donnee", "accepté", "acceptée"),
    *("accepte", "acceptee", "consenti", "consentie", "confirmé", "confirmée", "confirme", "confirmee", "d'accord"),
    *("otorgado", "otorgada", "concedido", "concedida", "aceptado", "aceptada", "dado", "dada", "confirmado", "confirmada"),
    *("concesso", "concessa", "accettato", "accettata", "dato", "confermato", "confermata", "d'accordo", "prestato"),
    *("aceite", "aceito", "aceita", "de acuerdo", "de acordo", "consentido", "consentida"),
    *("gegeven", "verleend", "akkoord", "bevestigd", "aanvaard", "geaccepteerd", "toegestaan"),
    # ... and OK, as a desk answers "Accord RGPD?" in every language (review 23d #4: "OK" and "Oké" were no consent).
    *("ok", "okay", "oké", "oke", "okey", "o.k", "d'acc"),
    *("waar", "sant", "sand", "sann", "kyllä", "tosi", "tak", "prawda", "ano", "pravda", "igen", "igaz"),
    *("evet", "doğru", "да", "истина", "так", "істина", "ναι", "αληθεσ", "αληθες", "da", "adevărat", "cert"),
    *("jah", "tõene", "jā", "patiess", "taip", "tiesa", "res", "točno"),
)
# A date in figures ("2024-05-01", "01/05/2024", "1.5.2024 10:00"), or in words as a spreadsheet's long date
# format writes it in the six languages ("1 May 2024", "01-May-24", "1er mai 2024", "May 1, 2024",
# "Wednesday, May 1, 2024"): review 20c #7, a consent column of such dates turned every journalist away.
# The months' names and their abbreviations in the six languages, as a long date format writes them.
_MONTH = (
    r"(?:january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep|october|oct"
    r"|november|nov|december|dec|januari|februari|maart|mrt|mei|augustus|januar|jänner|jän|februar|feber|märz|mär|mrz|mai|juni|juli|oktober|okt|dezember|dez"
    r"|janvier|janv|février|fevrier|févr|fevr|fév|fev|mars|avril|avr|juin|juillet|juil|août|aout|aoû|aou|septembre"
    r"|octobre|novembre|décembre|decembre|déc|enero|ene|febrero|marzo|abril|abr|mayo|junio|julio|agosto|ago|septiembre"
    r"|setiembre|set|octubre|noviembre|diciembre|dic|gennaio|gen|febbraio|aprile|maggio|mag|giugno|giu|luglio|lug"
    r"|settembre|ottobre|ott|dicembre|janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|out|dezembro)\.?"
)
# A weekday before the day, as Excel's long date writes it in each language ("Mittwoch, 1. Mai 2024",
# "mercredi 1 mai 2024", "quarta-feira, 1 de maio de 2024", German's "Mi, 1. Mai 2024"): newcomer 21 #9,
# such dates were read as no consent. Its name or abbreviation only (review 22 #2: any word starting like
# one was taken for it, and "Disiscritto 1 maggio 2024", unsubscribed, "Vencido 1 de mayo de 2024",
# expired, "Terminated 1 May 2024" were consent).
_WEEKDAY = (
    r"(?:(?:monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun"
    r"|montag|mo|dienstag|di|die|mittwoch|mi|mit|donnerstag|do|don|freitag|fr|fre|samstag|sonnabend|sa|sonntag|so|son"
    r"|lundi|lun|mardi|mar|mercredi|mer|jeudi|jeu|vendredi|ven|samedi|sam|dimanche|dim|lunes|martes|miércoles|miercoles"
    r"|mié|mie|jueves|jue|viernes|vie|sábado|sabado|sáb|sab|domingo|dom|lunedì|lunedi|martedì|martedi|mercoledì"
    r"|mercoledi|giovedì|giovedi|gio|venerdì|venerdi|sabato|domenica|segunda-feira|segunda|seg|terça-feira|terca-feira"
    r"|terça|terca|ter|quarta-feira|quarta|qua|quinta-feira|quinta|qui|sexta-feira|sexta|sex)\.?,? )?"
)
# A time, and nothing else, after the date (review 22 #1: "2024-05-01 withdrawn", "01.05.2024 - 31.12.2024",
# "1 May 2024 10:00 withdrawn" were consent, as anything after a date was taken for its time): ISO's
# "T10:00:00.000Z" or "+02:00", Excel's "10:00:00 AM", "10.00", "10h00", German's "10:00 Uhr", a zone's name.
# The other zones' names a CRM writes after the time (review 22b #1: "2024-05-01 10:00:00 AEST", a Sydney
# office's, was no consent): Australia, New Zealand, Asia, Russia, Africa, Alaska, Hawaii, the Atlantic, South America.
_ZONE_NAMES = (
    r"aest|aedt|acst|acdt|awst|nzst|nzdt|ist|jst|kst|hkt|sgt|pht|pst|wib|wita|wit|ict|msk|sast|cat|eat|wat"
    r"|akst|akdt|hst|ast|adt|nst|ndt|brt|art|clt|clst|cot|pet"
)
_ZONE = (
    r"(?: ?(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?|(?:utc|gmt)[+-]\d{1,2}(?::?\d{2})?|[cemw]e[s]?t|mes?z|bst|[ecmp][sd]t"
    rf"|{_ZONE_NAMES}))?"
)
_TIME = rf"(?:(?:,? |t)\d{{1,2}}[:.h]\d{{2}}(?:[:.]\d{{2}}(?:[.,]\d{{1,9}})?)?(?: ?(?:am|pm|a\.m|p\.m|uhr|h))?{_ZONE})?"
# A day of the calendar, from 1990 on (review 22 #3: a database's date it has not got, MySQL's "0000-00-00",
# .NET's "1/1/0001", Excel's day zero "00.01.1900", the Unix epoch "1970-01-01", SAP's "31.12.9999", was
# read as the day consent was given). A year of two digits is 1990 to 2069, as a spreadsheet reads it.
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:199\d|20\d\d)"
_SHORT_YEAR = r"(?:199\d|20\d\d|[0-6]\d|9\d)"
CONSENT_DATE = (
    rf"^(?:{_YEAR}[-./]{_MONTH_NUMBER}[-./]{_DAY}{_TIME}"
    rf"|(?:{_DAY}[-./]{_MONTH_NUMBER}|{_MONTH_NUMBER}[-./]{_DAY})[-./]{_SHORT_YEAR}{_TIME}"
    rf"|{_WEEKDAY}{_DAY}(?:st|nd|rd|th|er|\.)?[ -](?:de )?{_MONTH}[ -](?:de )?{_SHORT_YEAR}{_TIME}"
    rf"|{_WEEKDAY}{_MONTH} {_DAY}(?:st|nd|rd|th)?,? {_YEAR}{_TIME})$"
)


# A consent or opt-in word with a law, the channel, the purpose or "status" around it (review 22 #4: "GDPR consent",
# "Consent status", "Marketing opt-in", Shopify's "Accepts Email Marketing", "DSGVO Einwilligung", "Consentement
# RGPD", "Consenso privacy" were columns of the list's own, and the journalists they said no for were mailed). Not
# "Consent date" nor "Consent withdrawn" (an opt-out: OPT_OUT_HEADERS), whose other word is none of these.
_CONSENT_WORD = (
    r"(?:consent|consents|consentement|einwilligung|einverstandnis|einverstaendnis|zustimmung|consentimiento|consenso|consentimento|toestemming"
    r"|optin|optedin|doubleoptin|acceptsemailmarketing|acceptsmarketing)"
)
_CONSENT_QUALIFIER = (
    r"(?:gdpr|dsgvo|rgpd|lgpd|dsg|avg|privacy|datenschutz|email|emails|mail|mails|marketing|newsletter|newsletters|mailing"
    r"|press|presse|prensa|stampa|imprensa|werbe|werbung|werbliche|status|given|erteilt|gegeben|donne|otorgado|dato|dado"
    r"|to|for|a|al|alla|pour|fur|zur|zum|de|di|da|do|del|della|per|para|le|la|el|il|o|contact|contacto|contatto|contato|kontakt"
    # What it is for (review 22 #13: "Consent to receive press releases", "Einwilligung Presseverteiler")
    r"|receive|receiving|recevoir|recibir|ricevere|receber|erhalten|our|nos|nuestros|nostri|nossos|unsere|releases|release"
    r"|pressreleases|communiques|communique|comunicados|comunicado|comunicati|comunicato|pressemitteilungen|verteiler"
    r"|presseverteiler|news|updates|mailings|emailing"
    # ... and in Dutch (review 23d #1: "Toestemming persberichten: nee" was a column of the list's own, and she was mailed)
    r"|persberichten|persbericht|pers|nieuwsbrief|nieuwsbrieven|voor|ontvangen)"
)
_CONSENT_HEADER = re.compile(rf"(?:{_CONSENT_QUALIFIER})*{_CONSENT_WORD}(?:{_CONSENT_QUALIFIER})*")


# An opt-out word with the channel, the purpose, a law, "date" or "flag" around it (review 22 #5: "Marketing
# opt-out", "Email opt-out date", "Do Not Email Flag", "Email Blacklisted", "Newsletter abgemeldet",
# "Widerruf der Einwilligung", "Werbewiderspruch", the GDPR's objection to advertising, and "Date de
# désinscription" were columns of the list's own, and the journalists they marked were mailed). Not "Unsubscribe
# link" nor "Opt-out reason", whose other word is none of these.
_OPT_OUT_WORD = "|".join(
    sorted(
        (
            *OPT_OUT_HEADERS,
            *("blacklisted", "blocklisted", "emailblacklisted", "abmeldung", "widerruf", "widerspruch", "werbewiderspruch"),
            *("sperrvermerk", "desinscription", "desinscrit", "desinscrite", "desabonnement", "disiscrizione", "descadastro"),
            *("afgemeld", "afmelding", "uitgeschreven", "uitschrijving"),
        ),
        key=len,
        reverse=True,
    )
)
_OPT_OUT_QUALIFIER = (
    r"(?:gdpr|dsgvo|rgpd|lgpd|email|emails|mail|marketing|newsletter|newsletters|mailing|press|presse|werbe|werbung|flag"
    r"|date|datum|fecha|data|on|at|am|le|el|il|em|seit|since|de|du|der|des|della|di|da|do|to|for|pour|fur|zur|zum"
    r"|consent|einwilligung|consentement|consentimiento|consenso|consentimento"
    # What it is for (review 22 #14: "Do not send press releases", "Ne pas envoyer de communiqués")
    r"|of|from|releases|release|pressreleases|communiques|communique|comunicados|comunicado|comunicati|comunicato"
    r"|pressemitteilungen|pressemitteilung|presseinfos|news|updates|mailings|emailing"
    # ... and in Dutch (review 23d #1: "Afgemeld persberichten: ja", unsubscribed from press releases, was a column
    # of the list's own, and the journalist was mailed)
    r"|persberichten|persbericht|pers|nieuwsbrief|nieuwsbrieven|voor|van"
    # ... and how or any more (review 23d #5: "Keine Zusendung per E-Mail", "Ne plus envoyer par e-mail", "Ne plus recevoir
    # nos communiqués", "Geen mails meer" were columns of the list's own, and the journalists they marked were mailed)
    r"|per|par|von|vom|nos|unsere|onze|mehr|meer|anymore)"
)
# "No press releases", "Keine Pressemitteilungen": a no before what a colleague will not have sent
_NO_PURPOSE = re.compile(
    r"(?:no|nopress|keine|pasde|aucun|aucuns|sin|nessun|nessuna|niente|sem|nenhum|geen)(?:press|presse)?"
    r"(?:releases|pressreleases|communiques|pressemitteilungen|presseinfos|comunicados|comunicati|comunicatistampa|mailings|emails"
    r"|persberichten)(?:mehr|meer|anymore|plus)?"
)
_OPT_OUT_HEADER = re.compile(rf"(?:{_OPT_OUT_QUALIFIER})*(?:{_OPT_OUT_WORD})(?:{_OPT_OUT_QUALIFIER})*")


# A note in brackets naming another channel than email, or another purpose: the column is not the email's
# (review 22b #6: "DNC (phone)", do not call, "Consent (photo)", "Opt-out (SMS)" were read as the email's
# opt-out or consent, the note left aside, and a journalist who consented to email was not mailed). Not
# "(phone only)", which says email is not wanted.
_OTHER_CHANNEL = re.compile(
    r"(?:for|by|per|via|par|pour|fur|por|pelo|tel)?(?:phone|telephone|tel|call|calls|calling|phonecalls|sms|text|texts|textmessages"
    r"|whatsapp|post|postal|postalmail|letter|letters|print|photo|photos|photograph|photographs|photography|picture|pictures"
    r"|image|images|video|videos|filming|interview|interviews|event|events|telefon|telefonisch|anruf|anrufe|telefono|telefone"
    r"|llamada|llamadas|chiamata|chiamate|appel|appels|appelstelephoniques|courrier|courrierpostal|brief|briefpost|foto|fotos"
    r"|fotografie|bild|bilder|veranstaltung|veranstaltungen|evenement|evenements|evento|eventos|eventi)"
)


# How many, before the word: "No. releases", "Nº emails", "# mailings" (review 22b #11: compared without their
# punctuation, they read "no releases", "no emails", and every journalist with a count above 0 was opted out).
_COUNT = re.compile(r"\s*(?:no\s*\.|n\s*[º°]|#|nr\s*\.|num\s*\.|number\s+of\b|anzahl\b|nombre\s+de\b|n[úu]mero\s+d[ei]\b)", re.IGNORECASE)


def _another_channel(header: str) -> bool:
    """Whether a note in brackets in ``header`` names another channel than email ("DNC (phone)"), or the
    header counts something ("No. releases": ``_COUNT``): either way, not the email's own opt-out or consent."""
    if _COUNT.match(header):
        return True
    return any(_OTHER_CHANNEL.fullmatch(header_key(a or b)) for a, b in re.findall(r"\(([^()]*)\)|\[([^\[\]]*)\]", header))


# A list that records consent per purpose (review 22b #7: beside "Press release consent", a "Newsletter opt-in: no"
# kept a journalist who consented to press releases out): its press-release column speaks for the release, and
# those for another purpose are the list's own. Not "Express consent" (given in so many words).
_PRESS_PURPOSE = re.compile(
    r"(?<!ex)(?<!im)press|releases|communique|comunicado|comunicati|pressemitteilung|presseverteiler|presseinfo|persbericht"
)
_OTHER_PURPOSE = re.compile(
    r"newsletter|marketing|werbe|werbung|promotion|promo|publicite|publicidad|pubblicita|publicidade|event|veranstaltung"
    r"|offers|angebote|survey|umfrage|nieuwsbrief"
)


def other_purpose(header: str, beside: Sequence[str]) -> bool:
    """Whether ``header`` is a consent or opt-out column for another purpose than press releases (a newsletter,
    marketing, events) in a list whose headers (``beside``) have one for press releases."""
    key = header_key(header)
    if not _OTHER_PURPOSE.search(key) or _PRESS_PURPOSE.search(key):
        return False
    return any(
        other != header and _PRESS_PURPOSE.search(header_key(other)) and (is_opt_out_header(other) or is_opt_in_header(other))
        for other in beside
    )


# The answers a column takes written after its heading without brackets (review 23d #5: "Afgemeld J/N", "Do Not
# Email Y/N", "Toestemming J/N" were columns of the list's own, and the journalists they said it for were mailed), as
# "Do Not Email (Y/N)" was read.
_ANSWERS = re.compile(r"\s*[:\-–]?\s*(?:y|j|o|s|yes|ja|oui|si|sí|sì|sim)\s*/\s*(?:n|no|nee|neen|nein|non|não|nao)\s*$", re.IGNORECASE)


def _without_answers(header: str) -> str:
    """``header`` without the answers written after it ("Afgemeld J/N": "Afgemeld")."""
    return _ANSWERS.sub("", header) if "/" in header else header


def is_opt_in_header(header: str, *, beside: Sequence[str] = ()) -> bool:
    """Whether a header heads an opt-in column (``OPT_IN_HEADERS``, or a consent word with a law's name, "email",
    "marketing" or "status" around it: ``_CONSENT_HEADER``), a bracketed note after it left aside; or a
    column giving the day consent ends (``is_consent_until_header``). Not with a note naming another channel
    ("Consent (photo)": ``_another_channel``), nor beside a column for press releases one for another purpose
    (``other_purpose``: "Newsletter opt-in" beside "Press release consent", the list's ``beside`` headers)."""
    header = _without_answers(header)
    if _another_channel(header) or (beside and other_purpose(header, beside)):
        return False
    key = header_key(re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", header))
    if key in OPT_IN_HEADERS or is_consent_until_header(header):
        return True
    return not is_opt_out_header(header) and _CONSENT_HEADER.fullmatch(key) is not None


# The day consent ends, said after the consent word or in a note in brackets (review 22 #12: "Consent (valid
# until)" read a date that had passed as the day consent was given, and "Consent until", "Einwilligung gültig
# bis" were columns of the list's own: journalists whose consent had run out were mailed).
_UNTIL = (
    r"(?:valid|gultig|valida|valido|validade)?(?:until|till|bis|expires|expire|expiry|expiration|ends|endet|ablauf"
    r"|jusquau|jusqua|jusqu|hasta|vence|vencimiento|caduca|caducidad|finoal|finoa|fino|scadenza|scade|ate|expira)"
    r"(?:date|datum|fecha|data|am|le|el|il|em|on)?"
)
_UNTIL_NOTE = re.compile(_UNTIL)
_CONSENT_UNTIL_HEADER = re.compile(rf"(?:{_CONSENT_QUALIFIER})*{_CONSENT_WORD}(?:{_CONSENT_QUALIFIER})*{_UNTIL}")


def is_consent_until_header(header: str, *, beside: Sequence[str] = ()) -> bool:
    """Whether a header heads a column giving the day consent ends: "Consent until", "Consent expires",
    "Einwilligung gültig bis", or a consent heading with such a note in brackets, "Consent (valid until)"."""
    if _another_channel(header) or (beside and other_purpose(header, beside)):
        return False
    if _CONSENT_UNTIL_HEADER.fullmatch(header_key(header)):
        return True
    notes = re.findall(r"\(([^()]*)\)|\[([^\[\]]*)\]", header)
    if not notes:
        return False
    key = header_key(re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", header))
    consent = key in OPT_IN_HEADERS or _CONSENT_HEADER.fullmatch(key) is not None
    return consent and any(_UNTIL_NOTE.fullmatch(header_key(a or b)) for a, b in notes)


_MONTH_NUMBERS = {
    **dict.fromkeys(("jan", "gen", "ene", "jän"), 1),
    **dict.fromkeys(("feb", "fév", "fev"), 2),
    **dict.fromkeys(("mar", "mär", "mrz", "maa", "mrt"), 3),
    **dict.fromkeys(("apr", "avr", "abr"), 4),
    **dict.fromkeys(("may", "mai", "mag", "mei"), 5),
    **dict.fromkeys(("jun", "giu"), 6),
    **dict.fromkeys(("jul", "lug"), 7),
    **dict.fromkeys(("aug", "aoû", "aou", "ago"), 8),
    **dict.fromkeys(("sep", "set"), 9),
    **dict.fromkeys(("oct", "okt", "ott", "out"), 10),
    **dict.fromkeys(("nov",), 11),
    **dict.fromkeys(("dec", "déc", "dez", "dic"), 12),
}


def consent_end(cell: str | None) -> date | None:
    """The day a consent-until cell gives (lower-cased, as ``CONSENT_DATE`` reads it), or None: not a date,
    or one that could be read two ways ("05/06/2099": 5 June or 6 May), as only a day-first date has dots."""
    if not cell or not re.fullmatch(CONSENT_DATE, cell):
        return None
    figures = re.match(r"(\d{1,4})([-./])(\d{1,2})[-./](\d{1,4})", cell)
    try:
        if figures:
            first, mark, second, third = int(figures[1]), figures[2], int(figures[3]), int(figures[4])
            if len(figures[1]) == 4:
                return date(first, second, third)
            year = third + (2000 if third < 90 else 1900 if third < 100 else 0)
            if mark == "." or first > 12 or first == second:
                return date(year, second, first)
            return date(year, first, second) if second > 12 else None
        words = re.search(r"(\d{1,2})(?:st|nd|rd|th|er|\.)?[ -](?:de )?([^\W\d_]+)\.?[ -](?:de )?(\d{2,4})", cell)
        if words:
            day, month, year = int(words[1]), words[2], int(words[3])
        else:
            words = re.search(r"([^\W\d_]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", cell)
            if not words:
                return None
            month, day, year = words[1], int(words[2]), int(words[3])
        number = 6 if month.startswith("juin") else 7 if month.startswith("juil") else _MONTH_NUMBERS.get(month[:3])
        year += 2000 if year < 90 else 1900 if year < 100 else 0
        return date(year, number, day) if number else None
    except ValueError:  # 31 April
        return None


def consent_end_readings(cell: str | None) -> tuple[date, date] | None:
    """(day first, month first) for a consent-until cell that reads two ways ("03/04/2027": 3 April in
    Europe, 4 March in the US), which ``consent_end`` refuses; None for any other cell. A date with dots
    reads one way only, day first."""
    if not cell or not re.fullmatch(CONSENT_DATE, cell):
        return None
    figures = re.match(r"(\d{1,2})[-/](\d{1,2})[-/](\d{2,4})(?!\d)", cell)
    if figures is None:
        return None
    first, second, year = int(figures[1]), int(figures[2]), int(figures[3])
    year += 2000 if year < 90 else 1900 if year < 100 else 0
    try:
        readings = date(year, second, first), date(year, first, second)
    except ValueError:
        return None
    return readings if readings[0] != readings[1] else None


def is_opt_out_header(header: str, *, reasons: bool = True, beside: Sequence[str] = ()) -> bool:
    """Whether a header heads an opt-out column (``OPT_OUT_HEADERS``), a bracketed note after it
    left aside: "Do Not Email (Y/N)", "Opt-out (yes/no)" (review 18y #12: such a column was read as
    the list's own, and the journalists its Y marked were mailed); with ``reasons``, a reason for
    leaving too ("Unsubscribe reason": ``OPT_OUT_REASONS``). Not with a note naming another channel
    ("DNC (phone)": ``_another_channel``), nor, beside a column for press releases, one for another purpose
    (``other_purpose``: "Marketing opt-out" beside "Opt-out: Press releases")."""
    header = _without_answers(header)
    if _another_channel(header) or _links(header) or (beside and other_purpose(header, beside)):
        return False
    key = header_key(re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", header))
    if key in OPT_OUT_REASONS:
        return reasons
    # HubSpot's export heads each subscription type's opt-out "Opted out of email: Press Releases" (review 18z #9)
    return (
        key in OPT_OUT_HEADERS
        or (":" in header and key.startswith(("optedoutofemail", "optout", "optedout", "unsubscribed")))
        or key.startswith(("unsubscribedfrom", "optedoutof"))  # "Unsubscribed from Press" (review 22 #6)
        or _OPT_OUT_HEADER.fullmatch(key) is not None
        or _NO_PURPOSE.fullmatch(key) is not None
    )


# A note in brackets saying the column holds links (review 23d #2: a mailing tool's "Afmelden (link)", "Austragen
# (Link)", each contact's own unsubscribe link, opted every journalist out): the column is no opt-out.
_LINK_NOTE = re.compile(r"links?|urls?|liens?|hyperlinks?|weblinks?|koppelings?|koppelingen|adresseweb|webadres|webadresse")
# A web address in an opt-out column answers nothing: it is the link to unsubscribe, not a yes (review 23d #2: a
# Dutch export's "Afmelden", unsubscribe, held each contact's link, and nobody on the list was mailed).
WEB_ADDRESS = r"^(?:https?://|www\.)\S+$"


def _links(header: str) -> bool:
    """Whether a note in brackets in ``header`` says its cells are links ("Afmelden (link)")."""
    return any(_LINK_NOTE.fullmatch(header_key(a or b)) for a, b in re.findall(r"\(([^()]*)\)|\[([^\[\]]*)\]", header))


def header_key(header: str) -> str:
    """A header as compared with the known names: no case, accents, spaces or punctuation."""
    folded = unicodedata.normalize("NFKD", header.casefold())
    return re.sub(r"[\W_]+", "", "".join(c for c in folded if not unicodedata.combining(c)))


# Address columns as contact exports head them (review 17 #2): Google Contacts "E-mail 1 - Value",
# Outlook "E-mail 2 Address", CRMs "Email 1", "Primary Email", "Work Email", "Email (Work)". Not
# Google's "E-mail 1 - Type" nor Outlook's "E-mail Display Name": those hold no address.
_KINDS = (
    "primary|work|business|main|default|preferred|personal|home|private|other|office|professional|pro|contact|"
    "principal|professionnel|professionnelle|perso|personnel|geschaftlich|geschaftliche|privat|private|dienstlich|"
    "trabajo|lavoro|trabalho"
)
_ADDRESS_HEADER = re.compile(
    rf"(?:{_KINDS})?(?:{'|'.join(sorted(HEADER_ALIASES['email'], key=len, reverse=True))})"
    rf"(?:address|addr|adresse)?\d*(?:value|address|adresse)?(?:{_KINDS})?"
)


def canonical_name(header: str) -> str | None:
    """The canonical column a header names ("E-mail Address" -> "email", "E-mail 1 - Value" ->
    "email"), or None."""
    key = header_key(header)
    return _CANONICAL_BY_KEY.get(key) or ("email" if _ADDRESS_HEADER.fullmatch(key) else None)


def plain_canonical_name(header: str) -> str | None:
    """``canonical_name`` without the numbered or qualified address headers ("Work Email", "Email
    2"): what a field name in a filter means, whichever column a list reads its addresses from;
    "honorific" for Google's "Name Prefix", the column ``map_headers`` reads as the honorific."""
    key = header_key(header)
    return "honorific" if key in _HONORIFIC_HEADERS else _CANONICAL_BY_KEY.get(key)


def read_as(header: str) -> str | None:
    """The column the list loader makes of a header: ``canonical_name``, or "name" for a bare
    Name, Nom, Nome or Nombre (``map_headers``: the full name, split into first_name and
    last_name, or beside the other half that half); None for a column of the list's own. A numbered or qualified address column ("Email 2",
    "Work Email") is the address only when it is a list's first one: as a field, it is the list's own."""
    key = header_key(header)
    return "name" if key in _NAME_WORDS else _CANONICAL_BY_KEY.get(key)


def map_headers(headers: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Split headers into recognized canonical columns and custom ones under safe identifiers.

    The first header naming a canonical column wins; a second one is kept as a custom column. A
    plain address header wins over a qualified one ("Email" over "Personal Email", "Email 2").
    A bare "Name" (or "Nom", "Nome", "Nombre") is a full name, unless the list also has a first-
    or last-name column: then it is the other half ("Vorname" + "Name", "Nome" + "Cognome"); beside
    both, it is the full name again. A media database's "Contact" (Cision's) is the full name in a
    list with no name column of another heading.
    """
    from mailer.models import CANONICAL_FIELDS

    recognized: dict[str, int] = {}
    custom: dict[str, int] = {}
    taken = set(CANONICAL_FIELDS) | {"name"}
    named = {canonical_name(header) for header in headers}
    # A plain address header ("Email", "E-mail Address") is the address column wherever it stands:
    # a "Personal Email" or "Work Email" to its left is the list's own (review 17y #1: a colleague's
    # added column had every journalist mailed at that address, and those without one rejected).
    plain = next((at for at, header in enumerate(headers) if _CANONICAL_BY_KEY.get(header_key(header)) == "email"), None)
    # Outlook's contact export heads the honorific "Title" (Ms., Dr.) and the job "Job Title":
    # beside a Job Title, a bare Title is the honorific (newcomer 17b #4: every title read "Ms.").
    honorific = any(header_key(header) == "jobtitle" for header in headers)
    # German Outlook heads it "Anrede" (Herr, Frau, Dr.), beside its "Weitere Vornamen" (office 27); a list kept by
    # hand keeps its own Anrede column, which its releases may name.
    outlook_anrede = any(header_key(header) == "weiterevornamen" for header in headers)
    # A list's own Outlet column wins over a contact export's Company or Organization Name.
    outlet_named = any(canonical_name(header) == "outlet" and header_key(header) not in _EXPORT_OUTLETS for header in headers)
    singular = {canonical_name(header) for header in headers if header_key(header) not in (*_PLURALS, *_EXPORT_OUTLETS)}
    unnamed = not ({"name", "first_name", "last_name"} & named or any(header_key(header) in _NAME_WORDS for header in headers))
    for position, header in enumerate(headers):
        canonical = canonical_name(header)
        if canonical == "email" and plain is not None and position != plain:
            canonical = None
        outlook = (honorific and header_key(header) == "title") or (outlook_anrede and header_key(header) == "anrede")
        if (header_key(header) in _HONORIFIC_HEADERS or outlook) and "honorific" not in taken:
            taken.add("honorific")
            custom["honorific"] = position
            continue
        if header_key(header) in _NAME_WORDS:
            # Beside both halves (Google Contacts' Name, Given Name, Family Name) it is the full
            # name, which they override: not the last name (newcomer 17b #3).
            halves = {"first_name", "last_name"} & named
            canonical = "name" if len(halves) != 1 else "last_name" if "first_name" in halves else "first_name"
        if unnamed and header_key(header) in _CONTACT_WORDS:
            canonical = "name"
        if outlet_named and header_key(header) in _EXPORT_OUTLETS:
            canonical = None
        if header_key(header) in _PLURALS and canonical in singular:
            canonical = None
        if canonical and canonical not in recognized:
            recognized[canonical] = position
            continue
        identifier = safe_identifier(header, taken, position=position)
        taken.add(identifier)
        custom[identifier] = position
    return recognized, custom


def safe_identifier(header: str, taken: set[str] | frozenset[str] = frozenset(), *, position: int = 0) -> str:
    """A name a template can use for a custom column: "Twitter Handle" -> "twitter_handle".

    Lower-case ASCII letters, digits and underscores, starting with a letter; accents are
    dropped, ß is written ss; an empty header becomes ``column_<n>``; a name already taken gets ``_2``, ``_3``.
    """
    # ß has no accent to drop: written ss, as German does without it ("Straße" -> "strasse", not "strae": office 27).
    spelt = header.replace("ß", "ss").replace("ẞ", "SS")
    ascii_text = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode("ascii")
    identifier = re.sub(r"[^0-9a-z]+", "_", ascii_text.lower()).strip("_")
    if not identifier:
        identifier = f"column_{position + 1}"
    elif identifier[0].isdigit():
        identifier = f"field_{identifier}"
    if keyword.iskeyword(identifier):
        identifier += "_"
    candidate, suffix = identifier, 2
    while candidate in taken:
        candidate, suffix = f"{identifier}_{suffix}", suffix + 1
    return candidate
