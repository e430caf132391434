"""Write the hostile list corpus (tests/data/hostile/lists/); run from the repository root."""
from pathlib import Path
D = Path("tests/data/hostile/lists")
U = lambda s: s.encode("utf-8")
files = {
    # errors
    "unclosed_quote_swallows_rows.csv": U('Email,Name\njane@example.org,Jane Doe\nli@example.org,"Li Wei\nomar@example.com,Omar Haddad\nana@example.net,Ana Silva\n'),
    "unclosed_quote_last_line.csv": U('Email,Name\njane@example.org,Jane Doe\nli@example.org,"Li Wei'),
    "unclosed_quote_closed_later.csv": U('Email,Name,Notes\njane@example.org,"Jane Doe,ok\nli@example.org,Li Wei,none\nomar@example.com,Omar,5" floppy\n'),
    "sep_line_without_delimiter.csv": U("sep=\nEmail,Name\njane@example.org,Jane Doe\n"),
    "sep_line_only.csv": U("sep=;\n"),
    "bom_only.csv": b"\xef\xbb\xbf\r\n",
    "workbook_named_csv.csv": b"PK\x03\x04" + b"\x00" * 60,
    "utf16_without_bom.csv": "Email,Name\njane@example.org,Jane\n".encode("utf-16-le"),
    "binary_control_bytes.csv": bytes(range(1, 32)) * 10 + b"\n",
    "cp1250_polish.csv": "Email,Name,City\njan@example.pl,Jan Kowalski,Wrocław\n".encode("cp1250"),
    "shift_jis_names.csv": "Email,Name\ntaro@example.jp,山田太郎\n".encode("shift_jis"),
    "french_headers_no_address.csv": U("Prénom;Nom;Média\nJean;Dupont;Le Monde\n"),
    "ragged_after_sep_line.csv": U("sep=;\nEmail;Name\njane@example.org;Jane;Doe\n"),
    # read, with an exact result
    "sep_semicolon_line.csv": U("sep=;\nEmail;Name;Outlet\njane@example.org;Doe, Jane;Daily Example\nnot-an-address;Li Wei;Example Times\n"),
    "sep_tab_line.csv": U("SEP=\t\r\nEmail\tName\r\njane@example.org\tJane Doe\r\n"),
    "vertical_tab_filemaker.csv": U("Email,Name,Notes\njane@example.org,Jane\x0bDoe,Call\x0bafter 10\n"),
    "form_feed_in_cell.csv": U("Email,Name\njane@example.org,Jane\x0cDoe\n"),
    "ctrl_z_at_end.csv": U("Email,Name\njane@example.org,Jane Doe\n\x1a"),
    "stray_control_bytes.csv": U("Email,Name\njane@example.org,Jane\x01\x02 Doe\n"),
    "mac_roman_excel_for_mac.csv": "Email,Name,Outlet\njose@example.es,José Muñoz,El Diario\n".encode("mac_roman"),
    "mac_roman_undefined_in_1252.csv": "Email,Name\nhelene@example.fr,Hélène Dubois\n".encode("mac_roman"),
    "windows1252_still_windows.csv": "Email,Name\njose@example.es,José Müller\n".encode("cp1252"),
    "headers_french.csv": U("Courriel;Prénom;Nom;Média;Pays;Langue;Titre;Rubrique\njean@example.fr;Jean;Dupont;Le Monde;FR;fr;Journaliste;Politique\n"),
    "headers_german.csv": U("E-Mail;Vorname;Name;Zeitung;Land;Sprache\nhans@example.de;Hans;Müller;Tagesblatt;DE;de\n"),
    "headers_spanish.csv": U("Correo electrónico,Nombre,Apellidos,Medio,País,Idioma\nana@example.es,Ana,García López,El Diario,ES,es\n"),
    "headers_italian.csv": U("Email,Nome,Cognome,Testata,Paese,Lingua\nluca@example.it,Luca,Rossi,Il Corriere,IT,it\n"),
    "headers_portuguese.csv": U("E-mail,Nome,Sobrenome,Veículo,País,Idioma\njoao@example.br,João,Silva,Folha,BR,pt\n"),
    "headers_nom_alone.csv": U("Email,Nom\njean@example.fr,Jean Dupont\n"),
    "names_with_titles.csv": U("Email,Name\njane@example.org,Dr. Jane Doe\nhans@example.de,Prof. Dr. Hans Müller\nludwig@example.at,Ludwig van Beethoven\nmartin@example.org,Martin Luther King Jr.\n"),
    "name_is_a_formula.csv": U('Email,Name\nx@example.org,"=HYPERLINK(""http://x.example"",""click"")"\n'),
    "literal_quotes_inside_cell.csv": U('Email,Name\njane@example.org,Jane "JJ" Doe\nomar@example.com,Omar\n'),
    "odd_literal_quote.csv": U('Email,Name,Note\njane@example.org,Jane,5" floppy\nomar@example.com,Omar,ok\n'),
    "quoted_newline_in_last_row.csv": U('Email,Name,Notes\njane@example.org,Jane,ok\nomar@example.com,Omar,"two\nlines"\n'),
    "rejects_email_dash.csv": U("E-mail,First Name\njane@example.org,Jane\nbad@@example.org,Bad\n"),
    "rejects_email_plain.csv": U("Email,Firstname\nJANE@example.org,Jane again\n,Nobody\n"),
}
for name, data in files.items():
    (D / name).write_bytes(data)
print(len(files))
