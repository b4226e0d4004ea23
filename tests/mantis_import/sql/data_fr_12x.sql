-- French MantisBT 1.2.x data set (no bug_file.bugnote_id, no custom_field_string.text) for tests/mantis_import (generated once, then kept as is).
-- Loaded after schema_12x.sql (which holds the installer's rows: administrator, General, config).

INSERT INTO `mantis_project_table` (`id`, `name`, `status`, `enabled`, `view_state`, `access_min`, `file_path`, `description`, `category_id`, `inherit_global`) VALUES
(1, 'Boulangerie Martin', 10, 1, 10, 10, '', 'Site web et caisse de la boulangerie', 1, 1),
(2, 'Cabinet Durand', 50, 1, 10, 10, '', 'Comptabilité du cabinet', 1, 1),
(3, 'ATM interne', 10, 1, 50, 10, '', 'Travail interne d''ATM', 1, 1);

INSERT INTO `mantis_category_table` (`id`, `project_id`, `user_id`, `name`, `status`) VALUES
(2, 1, 0, 'Site web', 1),
(3, 2, 0, 'Comptabilité', 1),
(4, 3, 0, 'Interne', 1),
(5, 2, 0, 'Ancienne catégorie', 0);

INSERT INTO `mantis_user_table` (`id`, `username`, `realname`, `email`, `password`, `enabled`, `protected`, `access_level`, `login_count`, `lost_password_request_count`, `failed_login_count`, `cookie_string`, `last_visit`, `date_created`) VALUES
(2, 'jdupont', 'Jean Dupont', 'jean.dupont@atm-consulting.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 55, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000002', 1795165200, 1780304400),
(3, 'sleroy', 'Sophie Leroy', 'sophie.leroy@atm-consulting.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 70, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000003', 1795165200, 1780304400),
(4, 'mmartin', 'Marie Martin', 'marie.martin@boulangerie-martin.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000004', 1795165200, 1780304400),
(5, 'pmartin', 'Pierre Martin', 'pierre@boulangerie-martin.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 10, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000005', 1795165200, 1780304400),
(6, 'ldurand', 'Luc Durand', 'luc.durand@cabinet-durand.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 40, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000006', 1795165200, 1780304400),
(7, 'ancien', 'Ancien Compte', 'ancien@cabinet-durand.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 0, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000007', 1795165200, 1780304400),
(8, 'paul', 'Paul Conseil', 'paul@conseil-paul.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000008', 1795165200, 1780304400),
(9, 'marie2', '', '  Marie.Martin@Boulangerie-Martin.FR ', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000009', 1795165200, 1780304400),
(10, 'cpetit', 'Claire Petit', 'claire.petit@atm-consulting.fr', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000010', 1795165200, 1780304400),
(11, 'anonyme', '', '', '5f4dcc3b5aa765d61d8327deb882cf99', 1, 0, 25, 5, 0, 0, 'cookie0000000000000000000000000000000000000000000000000000000011', 1795165200, 1780304400);

INSERT INTO `mantis_project_user_list_table` (`project_id`, `user_id`, `access_level`) VALUES
(1, 4, 25),
(1, 5, 10),
(2, 6, 40),
(2, 7, 25),
(1, 8, 25),
(2, 8, 25),
(1, 9, 25),
(3, 2, 55),
(2, 10, 70),
(1, 11, 25);

INSERT INTO `mantis_bug_table` (`id`, `project_id`, `reporter_id`, `handler_id`, `duplicate_id`, `priority`, `severity`, `reproducibility`, `status`, `resolution`, `projection`, `eta`, `bug_text_id`, `os`, `os_build`, `platform`, `version`, `fixed_in_version`, `build`, `profile_id`, `view_state`, `summary`, `sponsorship_total`, `sticky`, `target_version`, `category_id`, `date_submitted`, `due_date`, `last_updated`) VALUES
(101, 1, 4, 0, 0, 10, 10, 10, 10, 10, 10, 10, 101, '', '', '', '', '', '', 0, 10, 'Le site ne s''affiche plus', 0, 0, '', 2, 1788253200, 1, 1788339600),
(102, 1, 5, 2, 0, 20, 20, 30, 20, 20, 10, 10, 102, '', '', '', '', '', '', 0, 10, 'Devis à mettre en ligne', 0, 0, '', 2, 1788426000, 1, 1788598800),
(103, 1, 9, 4, 0, 30, 30, 50, 30, 30, 10, 10, 103, '', '', '', '', '', '', 0, 10, 'Bouton panier cassé �', 0, 0, '', 2, 1788858000, 1, 1788944400),
(104, 1, 42, 0, 0, 40, 40, 70, 40, 40, 10, 10, 104, '', '', '', '', '', '', 0, 10, 'Ancienne demande d''un compte supprimé', 0, 0, '', 1, 1789030800, 1, 1789203600),
(105, 2, 6, 3, 0, 50, 50, 90, 50, 50, 10, 10, 105, '', '', '', '', '', '', 0, 10, 'Export comptable en erreur', 0, 0, '', 3, 1789462800, 1, 1790845200),
(106, 2, 7, 2, 0, 60, 60, 100, 80, 60, 10, 10, 106, '', '', '', '', '', '', 0, 10, 'Lettrage automatique', 0, 0, '', 3, 1790931600, 1, 1792486800),
(107, 2, 8, 2, 0, 30, 70, 10, 90, 70, 10, 10, 107, '', '', '', '', '', '', 0, 10, 'Clôture de l''exercice', 0, 0, '', 3, 1791018000, 1, 1792918800),
(108, 1, 2, 2, 0, 30, 80, 10, 80, 80, 10, 10, 108, '', '', '', '', '', '', 0, 50, 'Zebrure du serveur de caisse', 0, 0, '', 2, 1791190800, 1, 1793696400),
(109, 1, 4, 2, 0, 30, 50, 10, 80, 90, 10, 10, 109, '', '', '', '', '', '', 0, 10, 'Horaires de Noël', 0, 0, '', 2, 1791622800, 1, 1793782800),
(110, 3, 2, 2, 0, 30, 50, 10, 10, 10, 10, 10, 110, '', '', '', '', '', '', 0, 10, 'Mise à jour du serveur interne', 0, 0, '', 4, 1791795600, 1, 1791795600);

INSERT INTO `mantis_bug_text_table` (`id`, `description`, `steps_to_reproduce`, `additional_information`) VALUES
(101, 'Le site ne s''affiche plus.\r\nDepuis ce matin, page blanche.\r\n', '1. Ouvrir le site\r\n2. Attendre', 'Navigateur : Firefox'),
(102, 'Le devis <b>doit</b> apparaître.', '', ''),
(103, 'Le bouton � ne répond plus.', 'Cliquer sur « Ajouter »', ''),
(104, 'Demande d''un utilisateur parti.', '', ''),
(105, 'L''export FEC plante.', '', 'Version 18'),
(106, 'Le lettrage ne se fait plus.', '', ''),
(107, 'Clôturer 2025.', '', ''),
(108, 'Ornithorynque : le serveur de caisse zèbre.', '', ''),
(109, 'Afficher les horaires de Noël.', '', ''),
(110, 'Interne.', '', '');

INSERT INTO `mantis_bugnote_table` (`id`, `bug_id`, `reporter_id`, `bugnote_text_id`, `view_state`, `note_type`, `note_attr`, `time_tracking`, `last_modified`, `date_submitted`) VALUES
(1, 101, 4, 1, 10, 0, '', 0, 1788256800, 1788256800),
(2, 101, 2, 2, 10, 0, '', 0, 1788260400, 1788260400),
(3, 101, 2, 3, 50, 0, '', 15, 1788264000, 1788264000),
(4, 106, 2, 4, 10, 0, '', 45, 1791190800, 1791190800),
(5, 106, 3, 5, 50, 0, '', 30, 1791277200, 1791277200),
(6, 107, 2, 6, 10, 0, '', 60, 1792486800, 1792486800),
(7, 108, 2, 7, 50, 0, '', 30, 1791277200, 1791277200),
(8, 109, 4, 8, 10, 0, '', 20, 1791709200, 1791709200),
(9, 105, 6, 9, 10, 0, '', 0, 1789549200, 1789549200),
(10, 110, 2, 10, 10, 0, '', 10, 1791799200, 1791799200),
(11, 104, 42, 11, 10, 0, '', 0, 1789117200, 1789117200),
(12, 103, 11, 12, 10, 0, '', 0, 1788944400, 1788944400),
(13, 105, 10, 13, 50, 0, '', 25, 1789635600, 1789635600);

INSERT INTO `mantis_bugnote_text_table` (`id`, `note`) VALUES
(1, 'Merci de regarder <script>alert(1)</script>'),
(2, 'a < b & c\r\nligne 2\rligne 3'),
(3, 'Note interne Kangourou : client pénible'),
(4, 'Correction faite.'),
(5, 'Vérifié en interne.'),
(6, 'Clôture effectuée.'),
(7, 'Zebrure corrigée'),
(8, 'Merci � !'),
(9, 'Toujours en erreur.'),
(10, 'Fait.'),
(11, 'Relance.'),
(12, 'Pareil chez moi.'),
(13, 'Analyse faite par Claire.');

INSERT INTO `mantis_bug_file_table` (`id`, `bug_id`, `title`, `description`, `diskfile`, `filename`, `folder`, `filesize`, `file_type`, `content`, `date_added`, `user_id`) VALUES
(1, 101, '', '', '', 'capture écran été.png', '', 173, 'image/png', X'89504e470d0a1a0a0000000d49484452000000400000003008020000002e29eb480000007449444154789cedd8310dc0201040d15e5315555509c8404e252003258860ea808486fc5cf2df721bf0731b317b3d323be907fc75ad719767df1de36dfb0e4fbf01036806d00ca0194033806600cd009a0134036806d0d207841f5b30036806d00ca0194033806600cd009a0134036806d0d2077c79b407d52259555d0000000049454e44ae426082', 1788256800, 4),
(2, 102, '', '', '', 'devis.pdf', '', 599, 'application/pdf', X'255044462d312e340a312030206f626a0a3c3c202f54797065202f436174616c6f67202f5061676573203220302052203e3e0a656e646f626a0a322030206f626a0a3c3c202f54797065202f5061676573202f4b696473205b33203020525d202f436f756e742031203e3e0a656e646f626a0a332030206f626a0a3c3c202f54797065202f50616765202f506172656e74203220302052202f4d65646961426f78205b30203020353935203834325d202f436f6e74656e7473203420302052202f5265736f7572636573203c3c202f466f6e74203c3c202f4631203520302052203e3e203e3e203e3e0a656e646f626a0a342030206f626a0a3c3c202f4c656e677468203535203e3e0a73747265616d0a4254202f4631203134205466203732203737302054642028446576697320426f756c616e6765726965204d617274696e2920546a2045540a656e6473747265616d0a656e646f626a0a352030206f626a0a3c3c202f54797065202f466f6e74202f53756274797065202f5479706531202f42617365466f6e74202f48656c766574696361203e3e0a656e646f626a0a787265660a3020360a303030303030303030302036353533352066200a30303030303030303039203030303030206e200a30303030303030303538203030303030206e200a30303030303030313135203030303030206e200a30303030303030323431203030303030206e200a30303030303030333436203030303030206e200a747261696c65720a3c3c202f53697a652036202f526f6f74203120302052203e3e0a7374617274787265660a3431360a2525454f460a', 1788429600, 5),
(3, 103, '', '', '', 'export.csv', '', 32, 'text/csv', X'646174653b6d6f6e74616e740d0a323032362d30392d30313b31322c35300d0a', 1788861600, 9),
(4, 105, '', '', '8b1a9953c4611296a827abf8c47804d7', 'photo vitrine.png', '/srv/mantis/upload/', 193, 'image/png', '', 1789466400, 6),
(5, 106, '', '', '3c59dc048e8850243be8079a5c74d079', 'facture.pdf', '/srv/mantis/upload/', 597, 'application/pdf', '', 1791194400, 2),
(6, 106, '', '', 'ffffffffffffffffffffffffffffffff', 'perdu.png', '/srv/mantis/upload/', 1234, 'image/png', '', 1791198000, 2),
(7, 102, '', '', '', 'logo.svg', '', 99, 'image/svg+xml', X'3c73766720786d6c6e733d22687474703a2f2f7777772e77332e6f72672f323030302f737667223e3c7363726970743e616c6572742831293c2f7363726970743e3c726563742077696474683d223422206865696768743d2234222f3e3c2f7376673e', 1788512400, 5),
(8, 101, '', '', '', 'journal.txt', '', 29, 'text/plain', X'4a6f75726e616c206465206c61206361697373650a6c69676e6520320a', 1788260400, 2);

INSERT INTO `mantis_bug_history_table` (`id`, `user_id`, `bug_id`, `field_name`, `old_value`, `new_value`, `type`, `date_modified`) VALUES
(1, 4, 101, '', '', '', 1, 1788253200),
(2, 2, 102, 'handler_id', '0', '2', 0, 1788512400),
(3, 2, 102, 'status', '10', '20', 0, 1788512400),
(4, 3, 105, 'project_id', '1', '2', 0, 1789894800),
(5, 3, 105, 'handler_id', '2', '3', 0, 1789981200),
(6, 2, 106, 'status', '50', '80', 0, 1792314000),
(7, 2, 107, 'status', '50', '80', 0, 1792573200),
(8, 2, 107, 'status', '80', '90', 0, 1792832400),
(9, 2, 108, 'status', '50', '80', 0, 1793610000),
(10, 2, 109, 'status', '50', '80', 0, 1793696400),
(11, 2, 110, 'status', '10', '50', 0, 1791795600);

INSERT INTO `mantis_bug_monitor_table` (`user_id`, `bug_id`) VALUES
(4, 101),
(5, 101),
(2, 106),
(8, 107),
(2, 110);

INSERT INTO `mantis_bug_relationship_table` (`id`, `source_bug_id`, `destination_bug_id`, `relationship_type`) VALUES
(1, 103, 101, 0),
(2, 105, 106, 1),
(3, 106, 107, 2),
(4, 109, 110, 1);

INSERT INTO `mantis_tag_table` (`id`, `user_id`, `name`, `description`, `date_created`, `date_updated`) VALUES
(1, 2, 'urgent', '', 1788253200, 1788253200);

INSERT INTO `mantis_bug_tag_table` (`bug_id`, `tag_id`, `user_id`, `date_attached`) VALUES
(101, 1, 2, 1788339600),
(106, 1, 2, 1791018000);

INSERT INTO `mantis_custom_field_table` (`id`, `name`, `type`, `possible_values`, `default_value`, `valid_regexp`, `access_level_r`, `access_level_rw`, `length_min`, `length_max`, `require_report`, `require_update`, `display_report`, `display_update`, `require_resolved`, `display_resolved`, `display_closed`, `require_closed`, `filter_by`) VALUES
(1, 'Version client', 0, '', '', '', 10, 25, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1);

INSERT INTO `mantis_custom_field_project_table` (`field_id`, `project_id`, `sequence`) VALUES
(1, 1, 0);

INSERT INTO `mantis_custom_field_string_table` (`field_id`, `bug_id`, `value`) VALUES
(1, 101, '3.2');

INSERT INTO `mantis_sponsorship_table` (`id`, `bug_id`, `user_id`, `amount`, `logo`, `url`, `paid`, `date_submitted`, `last_updated`) VALUES
(1, 101, 4, 50, '', '', 0, 1788339600, 1788339600);
