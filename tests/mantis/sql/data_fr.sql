-- A French MantisBT 2.28 data set (after schema_2x.sql, which holds the installer's rows):
-- three client projects (one mapped into another's organisation with --project), one internal
-- ATM project to skip, every status / severity / priority / reproducibility code, private bugs
-- and notes, time tracking, files in the database and on disk (one missing), a deleted reporter
-- (user 42), a user in two client projects, a duplicate e-mail, a disabled user, a bug moved
-- between projects, notes with <script> and MantisBT's emoji replacement (U+FFFD), history,
-- monitors, relationships, a tag, a custom field value and a sponsorship.
-- Dates are Unix timestamps (UTC), as MantisBT writes them. `@folder` is the old upload folder.
SET NAMES utf8mb4;
SET time_zone = '+00:00';

INSERT INTO `mantis_project_table` (`id`, `name`, `status`, `enabled`, `view_state`, `access_min`, `file_path`, `description`, `category_id`, `inherit_global`) VALUES
(1, 'Boulangerie Martin', 10, 1, 10, 10, '', 'Assistance mensuelle de la boulangerie', 1, 1),
(2, 'Cabinet Durand', 10, 1, 10, 10, '/var/www/mantis/upload/durand/', 'Cabinet comptable', 1, 1),
(3, 'ATM interne', 10, 1, 50, 10, '', 'Projet interne d''ATM', 1, 1),
(4, 'Boulangerie Martin - Site web', 10, 1, 10, 10, '', 'Le site de la boulangerie', 1, 1);

INSERT INTO `mantis_user_table` (`id`, `username`, `realname`, `email`, `password`, `enabled`, `protected`, `access_level`, `login_count`, `cookie_string`, `last_visit`, `date_created`) VALUES
(2, 'pierre', 'Pierre Technicien', 'pierre@atm-consulting.fr', 'x', 1, 0, 55, 10, 'c2', UNIX_TIMESTAMP('2026-11-20 08:00:00'), UNIX_TIMESTAMP('2024-01-10 08:00:00')),
(3, 'sophie', 'Sophie Gestion', 'sophie@atm-consulting.fr', 'x', 1, 0, 70, 10, 'c3', UNIX_TIMESTAMP('2026-11-20 08:00:00'), UNIX_TIMESTAMP('2024-01-10 08:00:00')),
(4, 'marie', 'Marie Martin', '  Marie.Martin@Boulangerie-Martin.FR ', 'x', 1, 0, 25, 5, 'c4', UNIX_TIMESTAMP('2026-11-18 08:00:00'), UNIX_TIMESTAMP('2024-02-01 08:00:00')),
(5, 'jean', 'Jean Martin', 'jean@boulangerie-martin.fr', 'x', 1, 0, 10, 1, 'c5', UNIX_TIMESTAMP('2026-10-18 08:00:00'), UNIX_TIMESTAMP('2024-02-01 08:00:00')),
(6, 'luc', 'Luc Durand', 'luc@cabinet-durand.fr', 'x', 1, 0, 40, 3, 'c6', UNIX_TIMESTAMP('2026-11-02 08:00:00'), UNIX_TIMESTAMP('2024-03-01 08:00:00')),
(7, 'ancien', 'Ancien Comptable', 'ancien@cabinet-durand.fr', 'x', 0, 0, 25, 3, 'c7', UNIX_TIMESTAMP('2025-05-02 08:00:00'), UNIX_TIMESTAMP('2024-03-01 08:00:00')),
(8, 'paul', 'Paul Conseil', 'paul@conseil-paul.fr', 'x', 1, 0, 25, 3, 'c8', UNIX_TIMESTAMP('2026-09-02 08:00:00'), UNIX_TIMESTAMP('2024-04-01 08:00:00')),
(9, 'marie.m', 'Marie Martin', 'marie.martin@boulangerie-martin.fr', 'x', 1, 0, 25, 1, 'c9', UNIX_TIMESTAMP('2025-01-02 08:00:00'), UNIX_TIMESTAMP('2024-05-01 08:00:00'));

INSERT INTO `mantis_project_user_list_table` (`project_id`, `user_id`, `access_level`) VALUES
(1, 4, 25), (1, 5, 10), (2, 6, 40), (2, 7, 25), (1, 8, 25), (2, 8, 25), (1, 9, 25), (4, 4, 25), (3, 2, 55);

INSERT INTO `mantis_category_table` (`id`, `project_id`, `user_id`, `name`, `status`) VALUES
(2, 1, 0, 'Caisse', 1), (3, 2, 0, 'Comptabilité', 1), (4, 2, 0, 'general', 1), (5, 3, 0, 'Interne', 1), (6, 1, 0, 'Ancienne catégorie', 0);

INSERT INTO `mantis_bug_text_table` (`id`, `description`, `steps_to_reproduce`, `additional_information`) VALUES
(101, 'La caisse ne s''ouvre plus le matin.\r\nMessage : « erreur 42 ».', '1. Allumer la caisse\r\n2. Attendre', ''),
(102, 'La facture d''octobre est fausse.', '', 'Voir la pièce jointe.'),
(103, 'Le ticket de caisse est mal aligné.', '', ''),
(104, 'Proposition : ajouter le logo.', '', ''),
(105, 'Le champ affiche <script>alert(1)</script> et a < b & c.', '', ''),
(106, 'Impression impossible depuis la mise à jour.', '', ''),
(107, 'Ancienne demande réglée.', '', ''),
(108, 'Audit de sécurité : mot Zebrure à ne jamais montrer au client.', '', ''),
(201, 'Le bilan ne se génère plus.', '', ''),
(202, 'Doublon du bilan.', '', ''),
(203, 'Ticket déplacé depuis la boulangerie.', '', ''),
(204, 'Vieux ticket fermé.', '', ''),
(301, 'Tâche interne.', '', ''),
(401, 'Le site web est lent.', '', '');

INSERT INTO `mantis_bug_table` (`id`, `project_id`, `reporter_id`, `handler_id`, `priority`, `severity`, `reproducibility`, `status`, `resolution`, `view_state`, `summary`, `category_id`, `bug_text_id`, `date_submitted`, `last_updated`) VALUES
(101, 1, 4, 0, 10, 10, 10, 10, 10, 10, 'La caisse ne s''ouvre plus', 2, 101, UNIX_TIMESTAMP('2026-09-01 09:00:00'), UNIX_TIMESTAMP('2026-09-02 09:00:00')),
(102, 1, 4, 2, 20, 20, 30, 20, 10, 10, 'Facture d''octobre fausse', 2, 102, UNIX_TIMESTAMP('2026-09-03 09:00:00'), UNIX_TIMESTAMP('2026-09-04 09:00:00')),
(103, 1, 5, 0, 30, 30, 50, 30, 80, 10, 'Ticket de caisse mal aligné', 1, 103, UNIX_TIMESTAMP('2026-09-05 09:00:00'), UNIX_TIMESTAMP('2026-09-05 10:00:00')),
(104, 1, 9, 0, 40, 40, 70, 40, 40, 10, 'Ajouter le logo', 6, 104, UNIX_TIMESTAMP('2026-09-06 09:00:00'), UNIX_TIMESTAMP('2026-09-06 10:00:00')),
(105, 1, 4, 2, 50, 50, 90, 50, 30, 10, 'Affichage étrange <b>gras</b>', 2, 105, UNIX_TIMESTAMP('2026-09-07 09:00:00'), UNIX_TIMESTAMP('2026-09-08 10:00:00')),
(106, 1, 42, 2, 60, 60, 100, 80, 20, 10, 'Impression impossible', 2, 106, UNIX_TIMESTAMP('2026-10-01 09:00:00'), UNIX_TIMESTAMP('2026-10-20 16:00:00')),
(107, 1, 4, 2, 30, 70, 10, 90, 50, 10, 'Ancienne demande', 2, 107, UNIX_TIMESTAMP('2026-09-01 08:00:00'), UNIX_TIMESTAMP('2026-09-15 12:00:00')),
(108, 1, 2, 2, 30, 80, 10, 80, 70, 50, 'Audit confidentiel Zebrure', 1, 108, UNIX_TIMESTAMP('2026-10-02 09:00:00'), UNIX_TIMESTAMP('2026-10-25 09:00:00')),
(201, 2, 6, 3, 30, 50, 10, 50, 10, 10, 'Le bilan ne se génère plus', 3, 201, UNIX_TIMESTAMP('2026-10-03 09:00:00'), UNIX_TIMESTAMP('2026-10-04 09:00:00')),
(202, 2, 7, 3, 30, 50, 10, 80, 60, 10, 'Bilan (doublon)', 4, 202, UNIX_TIMESTAMP('2026-10-05 09:00:00'), UNIX_TIMESTAMP('2026-11-05 09:00:00')),
(203, 2, 8, 0, 30, 50, 10, 10, 10, 10, 'Ticket déplacé', 1, 203, UNIX_TIMESTAMP('2026-10-06 09:00:00'), UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(204, 2, 6, 3, 30, 50, 10, 90, 90, 10, 'Vieux ticket fermé', 3, 204, UNIX_TIMESTAMP('2025-03-06 09:00:00'), UNIX_TIMESTAMP('2025-04-07 09:00:00')),
(301, 3, 2, 2, 30, 50, 10, 10, 10, 10, 'Tâche interne', 5, 301, UNIX_TIMESTAMP('2026-10-06 09:00:00'), UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(401, 4, 4, 0, 30, 50, 10, 10, 10, 10, 'Le site web est lent', 1, 401, UNIX_TIMESTAMP('2026-11-06 09:00:00'), UNIX_TIMESTAMP('2026-11-07 09:00:00'));

INSERT INTO `mantis_bugnote_text_table` (`id`, `note`) VALUES
(1001, 'Bonjour,\r\nla caisse bloque encore ce matin.'),
(1002, 'Pouvez-vous préciser la version ? <script>alert(''x'')</script>'),
(1003, 'Note interne : client à relancer, mot Kangourou.'),
(1004, 'Pilote d''impression réinstallé.'),
(1005, 'Merci beaucoup ! �'),
(1006, 'Analyse interne du pilote.'),
(1007, 'Réglé.'),
(1008, 'Note publique d''un ticket privé : Ornithorynque.'),
(1009, 'C''est un doublon.'),
(1010, 'Ticket déplacé vers le cabinet.'),
(1011, 'Interne.'),
(1012, 'Comparaison : a < b & c'),
(1013, 'Rappel : voir ce ticket demain.');

INSERT INTO `mantis_bugnote_table` (`id`, `bug_id`, `reporter_id`, `bugnote_text_id`, `view_state`, `note_type`, `note_attr`, `time_tracking`, `last_modified`, `date_submitted`) VALUES
(1001, 101, 4, 1001, 10, 0, '', 0, UNIX_TIMESTAMP('2026-09-02 09:00:00'), UNIX_TIMESTAMP('2026-09-02 09:00:00')),
(1002, 102, 2, 1002, 10, 2, '', 30, UNIX_TIMESTAMP('2026-09-04 09:00:00'), UNIX_TIMESTAMP('2026-09-04 09:00:00')),
(1003, 102, 2, 1003, 50, 2, '', 15, UNIX_TIMESTAMP('2026-09-04 09:30:00'), UNIX_TIMESTAMP('2026-09-04 09:30:00')),
(1004, 106, 2, 1004, 10, 2, '', 45, UNIX_TIMESTAMP('2026-10-15 09:00:00'), UNIX_TIMESTAMP('2026-10-15 09:00:00')),
(1005, 106, 42, 1005, 10, 0, '', 0, UNIX_TIMESTAMP('2026-10-16 09:00:00'), UNIX_TIMESTAMP('2026-10-16 09:00:00')),
(1006, 106, 3, 1006, 50, 2, '', 30, UNIX_TIMESTAMP('2026-10-17 09:00:00'), UNIX_TIMESTAMP('2026-10-17 09:00:00')),
(1007, 107, 2, 1007, 10, 2, '', 120, UNIX_TIMESTAMP('2026-09-10 09:00:00'), UNIX_TIMESTAMP('2026-09-10 09:00:00')),
(1008, 108, 2, 1008, 10, 2, '', 60, UNIX_TIMESTAMP('2026-10-20 09:00:00'), UNIX_TIMESTAMP('2026-10-20 09:00:00')),
(1009, 202, 3, 1009, 10, 2, '', 20, UNIX_TIMESTAMP('2026-11-05 09:00:00'), UNIX_TIMESTAMP('2026-11-05 09:00:00')),
(1010, 203, 8, 1010, 10, 0, '', 0, UNIX_TIMESTAMP('2026-10-07 09:00:00'), UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(1011, 301, 2, 1011, 10, 0, '', 10, UNIX_TIMESTAMP('2026-10-07 09:00:00'), UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(1012, 201, 6, 1012, 10, 0, '', 0, UNIX_TIMESTAMP('2026-10-04 09:00:00'), UNIX_TIMESTAMP('2026-10-04 09:00:00')),
(1013, 105, 3, 1013, 10, 1, '4', 0, UNIX_TIMESTAMP('2026-09-08 10:00:00'), UNIX_TIMESTAMP('2026-09-08 10:00:00'));

INSERT INTO `mantis_bug_file_table` (`id`, `bug_id`, `title`, `description`, `diskfile`, `filename`, `folder`, `filesize`, `file_type`, `content`, `date_added`, `user_id`, `bugnote_id`) VALUES
(1, 101, '', '', 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'capture écran été.png', '', 85, 'image/png; charset=binary', X'89504e470d0a1a0a0000000d4948445200000018000000100802000000834628c20000001c49444154789c633c2127c7400dc0441553460d1a3568d4a0116c1000eeae0124962e11580000000049454e44ae426082', UNIX_TIMESTAMP('2026-09-01 09:00:00'), 4, NULL),
(2, 102, '', '', 'b1b2c3d4e5f60718293a4b5c6d7e8f90', 'facture-octobre.pdf', '', 193, 'application/pdf; charset=binary', X'255044462d312e340a312030206f626a3c3c2f547970652f436174616c6f672f50616765732032203020523e3e656e646f626a20322030206f626a3c3c2f547970652f50616765732f4b6964735b33203020525d2f436f756e7420313e3e656e646f626a20332030206f626a3c3c2f547970652f506167652f506172656e742032203020522f4d65646961426f785b30203020323030203230305d3e3e656e646f626a0a747261696c65723c3c2f526f6f742031203020523e3e0a2525454f460a', UNIX_TIMESTAMP('2026-09-04 09:00:00'), 2, 1002),
(3, 102, '', '', 'c1b2c3d4e5f60718293a4b5c6d7e8f90', 'export clients.csv', '', 24, 'text/plain; charset=us-ascii', X'6e6f6d3b76696c6c650d0a4d617274696e3b4c796f6e0d0a', UNIX_TIMESTAMP('2026-09-04 09:10:00'), 4, 0),
(4, 105, '', '', '5f2b9c0e4a7d41e8b3c6a9d2e1f08b7c', 'écran d''accueil.png', '/var/www/mantis/upload/', 92, 'image/png; charset=binary', '', UNIX_TIMESTAMP('2026-09-07 09:00:00'), 4, NULL),
(5, 105, '', '', '0c1d2e3f405162738495a6b7c8d9eaf1', 'journal erreurs.log', '/var/www/mantis/upload/boulangerie/', 37, 'text/x-Algol68; charset=utf-8', '', UNIX_TIMESTAMP('2026-09-07 09:05:00'), 4, NULL),
(6, 201, '', '', 'deadbeefdeadbeefdeadbeefdeadbeef', 'manquant.pdf', '/var/www/mantis/upload/durand/', 1000, 'application/pdf; charset=binary', '', UNIX_TIMESTAMP('2026-10-03 09:00:00'), 6, NULL),
(7, 201, '', '', 'e1b2c3d4e5f60718293a4b5c6d7e8f90', 'schéma.svg', '', 71, 'image/svg+xml; charset=us-ascii', X'3c73766720786d6c6e733d22687474703a2f2f7777772e77332e6f72672f323030302f737667223e3c7363726970743e616c6572742831293c2f7363726970743e3c2f7376673e', UNIX_TIMESTAMP('2026-10-03 09:05:00'), 6, NULL),
(8, 108, '', '', 'f1b2c3d4e5f60718293a4b5c6d7e8f90', 'secret.txt', '', 34, 'text/plain; charset=utf-8', X'4d6f742064652070617373652064752073657276657572203a205a6562727572650a', UNIX_TIMESTAMP('2026-10-02 09:05:00'), 2, NULL),
(9, 301, '', '', '01b2c3d4e5f60718293a4b5c6d7e8f90', 'interne.txt', '', 8, 'text/plain; charset=utf-8', X'696e7465726e650a', UNIX_TIMESTAMP('2026-10-06 09:05:00'), 2, NULL);

INSERT INTO `mantis_bug_history_table` (`id`, `user_id`, `bug_id`, `field_name`, `old_value`, `new_value`, `type`, `date_modified`) VALUES
(1, 4, 101, '', '', '', 1, UNIX_TIMESTAMP('2026-09-01 09:00:00')),
(2, 4, 101, '', 'capture écran été.png', '', 9, UNIX_TIMESTAMP('2026-09-01 09:00:00')),
(3, 2, 102, 'handler_id', '0', '2', 0, UNIX_TIMESTAMP('2026-09-03 10:00:00')),
(4, 2, 102, 'status', '10', '20', 0, UNIX_TIMESTAMP('2026-09-04 09:00:00')),
(5, 2, 102, '', '0001002', '', 2, UNIX_TIMESTAMP('2026-09-04 09:00:00')),
(6, 2, 102, '', '0001003', '', 2, UNIX_TIMESTAMP('2026-09-04 09:30:00')),
(7, 2, 106, 'status', '10', '50', 0, UNIX_TIMESTAMP('2026-10-02 09:00:00')),
(8, 2, 106, 'status', '50', '80', 0, UNIX_TIMESTAMP('2026-10-20 16:00:00')),
(9, 2, 106, 'resolution', '10', '20', 0, UNIX_TIMESTAMP('2026-10-20 16:00:00')),
(10, 2, 107, 'status', '50', '80', 0, UNIX_TIMESTAMP('2026-09-10 09:00:00')),
(11, 2, 107, 'status', '80', '90', 0, UNIX_TIMESTAMP('2026-09-15 12:00:00')),
(12, 2, 203, 'project_id', '1', '2', 0, UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(13, 3, 202, 'status', '50', '80', 0, UNIX_TIMESTAMP('2026-11-05 09:00:00')),
(14, 3, 204, 'status', '80', '90', 0, UNIX_TIMESTAMP('2025-04-07 09:00:00')),
(15, 2, 108, 'view_state', '10', '50', 0, UNIX_TIMESTAMP('2026-10-02 10:00:00')),
(16, 2, 108, 'status', '50', '80', 0, UNIX_TIMESTAMP('2026-10-25 09:00:00')),
(17, 3, 202, '', '0', '201', 18, UNIX_TIMESTAMP('2026-11-05 09:00:00')),
(18, 2, 301, 'status', '10', '50', 0, UNIX_TIMESTAMP('2026-10-07 09:00:00')),
(19, 2, 105, 'priority', '30', '50', 0, UNIX_TIMESTAMP('2026-09-08 09:00:00')),
(20, 2, 105, 'severity', '40', '50', 0, UNIX_TIMESTAMP('2026-09-08 09:00:00'));

INSERT INTO `mantis_bug_monitor_table` (`user_id`, `bug_id`) VALUES (5, 101), (2, 105), (6, 201), (42, 106), (4, 108), (2, 301);

INSERT INTO `mantis_bug_relationship_table` (`id`, `source_bug_id`, `destination_bug_id`, `relationship_type`) VALUES
(1, 202, 201, 0), (2, 101, 105, 1), (3, 105, 101, 2), (4, 101, 301, 1), (5, 108, 105, 1);

INSERT INTO `mantis_tag_table` (`id`, `user_id`, `name`, `description`, `date_created`, `date_updated`) VALUES
(1, 2, 'caisse', '', UNIX_TIMESTAMP('2026-09-01 09:00:00'), UNIX_TIMESTAMP('2026-09-01 09:00:00'));
INSERT INTO `mantis_bug_tag_table` (`bug_id`, `tag_id`, `user_id`, `date_attached`) VALUES (101, 1, 2, UNIX_TIMESTAMP('2026-09-01 09:00:00'));
INSERT INTO `mantis_custom_field_string_table` (`field_id`, `bug_id`, `value`, `text`) VALUES (1, 101, 'Caisse n° 2', NULL);
INSERT INTO `mantis_sponsorship_table` (`id`, `bug_id`, `user_id`, `amount`, `logo`, `url`, `paid`, `date_submitted`, `last_updated`) VALUES
(1, 104, 4, 50, '', '', 0, UNIX_TIMESTAMP('2026-09-06 09:00:00'), UNIX_TIMESTAMP('2026-09-06 09:00:00'));
